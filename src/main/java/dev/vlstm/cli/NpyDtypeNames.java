package dev.vlstm.cli;

import java.util.Map;

/** Human names for numpy dtype strings, so an error says "(float64)" instead of leaving '<f8' to be decoded. */
final class NpyDtypeNames {
    private static final Map<Character, String> KINDS = Map.of(
            'f', "float", 'i', "int", 'u', "uint", 'c', "complex", 'b', "bool",
            'S', "bytes", 'U', "str", 'O', "object", 'M', "datetime64", 'm', "timedelta64");

    private NpyDtypeNames() {
    }

    /** E.g. {@code " (float64)"} for '<f8', {@code " (float32 big-endian)"} for '>f4'; empty if not a simple dtype. */
    static String describe(String descr) {
        if (descr.length() < 3 || "<>|=".indexOf(descr.charAt(0)) < 0 || !KINDS.containsKey(descr.charAt(1))) return "";
        int size;
        try {
            size = Integer.parseInt(descr.substring(2));
        } catch (NumberFormatException e) {
            return ""; // e.g. '<M8[ns]': the string itself says enough
        }
        char kind = descr.charAt(1);
        String name = switch (kind) {
            case 'f', 'i', 'u', 'c' -> KINDS.get(kind) + size * 8;
            case 'S', 'U' -> KINDS.get(kind) + " of length " + size;
            default -> KINDS.get(kind);
        };
        String order = switch (descr.charAt(0)) {
            case '>' -> size > 1 ? " big-endian" : "";
            case '=' -> size > 1 ? " native byte order" : "";
            default -> "";
        };
        return " (" + name + order + ")";
    }
}
