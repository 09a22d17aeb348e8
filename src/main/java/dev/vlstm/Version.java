package dev.vlstm;

/** The vlstm version, written into the metadata of every converted file. */
public final class Version {
    private Version() {
    }

    public static final String VERSION = "0.1.0";
}
