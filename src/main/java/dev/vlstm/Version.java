package dev.vlstm;

/**
 * The vlstm version, written into the metadata of every converted file.
 *
 * <pre>{@code
 * System.out.println("vlstm " + Version.VERSION);   // vlstm 0.2.0
 * }</pre>
 */
public final class Version {
    private Version() {
    }

    /** This library's version, as in its Maven coordinates. */
    public static final String VERSION = "0.2.0";
}
