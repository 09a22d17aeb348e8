package dev.vlstm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header dict of a .npy file, e.g. {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}.
 *
 * <p>numpy reads it with {@code ast.literal_eval}; we accept only the tiny subset of Python literals a header can
 * contain (quoted strings, True/False, tuples of ints), so a hostile header cannot make us do anything but fail.
 */
record NpyHeader(String descr, boolean fortranOrder, long[] shape) {
    private static final List<String> EXPECTED_KEYS = List.of("descr", "fortran_order", "shape");

    /** Parses {@code text} (the header after the length field); messages name {@code file}. */
    static NpyHeader parse(String text, Path file) {
        Map<String, Object> dict = new Parser(text, file).dict();
        for (String key : dict.keySet())
            if (!EXPECTED_KEYS.contains(key))
                throw new NpyException(file + ": header has unexpected key '" + key + "'; expected exactly 'descr', 'fortran_order', 'shape'");
        for (String key : EXPECTED_KEYS)
            if (!dict.containsKey(key))
                throw new NpyException(file + ": header lacks key '" + key + "'; expected exactly 'descr', 'fortran_order', 'shape'");
        return new NpyHeader(
                typed(dict, "descr", String.class, "a string such as '<f4'", file),
                typed(dict, "fortran_order", Boolean.class, "True or False", file),
                typed(dict, "shape", long[].class, "a tuple of ints such as (2, 3)", file));
    }

    private static <T> T typed(Map<String, Object> dict, String key, Class<T> type, String expected, Path file) {
        Object value = dict.get(key);
        if (!type.isInstance(value))
            throw new NpyException(file + ": header '" + key + "' is " + Parser.describe(value) + "; expected " + expected);
        return type.cast(value);
    }

    /** Recursive descent over the literal; values are String, Boolean, Long (a bare int) or long[] (a tuple). */
    private static final class Parser {
        private final String text;
        private final Path file;
        private int pos;

        Parser(String text, Path file) {
            this.text = text;
            this.file = file;
        }

        Map<String, Object> dict() {
            skipSpace();
            expect('{');
            Map<String, Object> dict = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (peek() == '}') break;
                if (peek() != '\'' && peek() != '"') throw error("a quoted key or '}'");
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                Object value = value();
                if (dict.put(key, value) != null) throw new NpyException(file + ": header has key '" + key + "' twice");
                skipSpace();
                if (peek() == ',') pos++;
                else if (peek() != '}') throw error("',' or '}'");
            }
            pos++;
            skipSpace(); // numpy pads the header with spaces and a final newline
            if (pos != text.length()) throw error("end of header after the dict");
            return dict;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') return string();
            if (c == '(') return tuple();
            if (c == '-' || isDigit(c)) return integer();
            if (text.startsWith("True", pos)) return keyword("True", true);
            if (text.startsWith("False", pos)) return keyword("False", false);
            throw error("a string, True, False, an int or a tuple");
        }

        private Boolean keyword(String word, boolean value) {
            pos += word.length();
            if (Character.isLetterOrDigit(peek()) || peek() == '_') { pos -= word.length(); throw error("True or False"); }
            return value;
        }

        /** A quoted string without escapes: descr values never need them, and refusing them keeps this simple. */
        private String string() {
            char quote = text.charAt(pos++);
            int start = pos;
            while (pos < text.length() && text.charAt(pos) != quote) {
                if (text.charAt(pos) == '\\') throw error("no backslash escapes in header strings");
                pos++;
            }
            if (pos == text.length()) { pos = start - 1; throw error("a closing " + quote + " for the string"); }
            return text.substring(start, pos++);
        }

        private long[] tuple() {
            int open = pos++;
            List<Long> items = new ArrayList<>();
            boolean trailingComma = false;
            while (true) {
                skipSpace();
                if (peek() == ')') break;
                if (peek() != '-' && !isDigit(peek())) throw error("an int or ')' in the shape tuple");
                items.add(integer());
                skipSpace();
                trailingComma = peek() == ',';
                if (trailingComma) pos++;
                else if (peek() != ')') throw error("',' or ')' in the shape tuple");
            }
            pos++;
            if (items.size() == 1 && !trailingComma) {
                // Python reads (5) as the int 5, so numpy would reject it too.
                pos = open;
                throw error("a tuple; '(" + items.get(0) + ")' is an int in Python, a 1-D shape is written (" + items.get(0) + ",)");
            }
            return items.stream().mapToLong(Long::longValue).toArray();
        }

        private Long integer() {
            int start = pos;
            if (peek() == '-') pos++;
            if (!isDigit(peek())) { pos = start; throw error("an int"); }
            while (isDigit(peek())) pos++;
            String digits = text.substring(start, pos);
            // Python 2 numpy wrote longs as 2L; numpy still accepts such version 1.0/2.0 files.
            if (peek() == 'L' || peek() == 'l') pos++;
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw new NpyException(file + ": header int " + digits + " does not fit in 64 bits");
            }
        }

        private void expect(char c) {
            if (peek() != c) throw error("'" + c + "'");
            pos++;
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void skipSpace() {
            while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) pos++;
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private NpyException error(String expected) {
            String found = pos < text.length() ? "'" + text.charAt(pos) + "'" : "end of header";
            return new NpyException(file + ": header is not a valid dict literal: expected " + expected + " at offset " + pos
                    + ", found " + found + " in " + quote(text));
        }

        private static String quote(String s) {
            String shown = s.strip();
            if (shown.length() > 120) shown = shown.substring(0, 120) + "...";
            return '"' + shown.replace("\n", "\\n").replace("\0", "\\0") + '"';
        }

        static String describe(Object value) {
            return switch (value) {
                case String s -> "the string '" + s + "'";
                case Boolean b -> b ? "True" : "False";
                case Long l -> "the int " + l;
                case long[] t -> "the tuple " + Npy.shapeString(t);
                default -> String.valueOf(value);
            };
        }
    }
}
