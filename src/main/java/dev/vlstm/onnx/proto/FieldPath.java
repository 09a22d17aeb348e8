package dev.vlstm.onnx.proto;

/**
 * Where the reader is, as a linked list built only for messages (not per scalar), rendered only when an error is
 * reported: "graph.node[3].attribute[1]". The root (the ModelProto itself) renders as "model".
 */
record FieldPath(FieldPath parent, String name, int index) {
    static final FieldPath ROOT = new FieldPath(null, null, -1);

    /** A sub-message; index is its position among repeated occurrences, or -1 for a singular field. */
    FieldPath child(String childName, int childIndex) {
        return new FieldPath(this, childName, childIndex);
    }

    /** This path, then ".leaf" if leaf is not null. */
    String render(String leaf) {
        StringBuilder sb = new StringBuilder();
        append(sb);
        if (leaf != null) {
            if (!sb.isEmpty()) sb.append('.');
            sb.append(leaf);
        }
        return sb.isEmpty() ? "model" : sb.toString();
    }

    private void append(StringBuilder sb) {
        if (parent == null) return;
        parent.append(sb);
        if (!sb.isEmpty()) sb.append('.');
        sb.append(name);
        if (index >= 0) sb.append('[').append(index).append(']');
    }
}
