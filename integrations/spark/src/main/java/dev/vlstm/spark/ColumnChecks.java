package dev.vlstm.spark;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;

/** The driver's checks of a Dataset's columns before any task runs: each error names the column and both types. */
final class ColumnChecks {
    private ColumnChecks() {
    }

    /** The index of {@code column}, which must exist. */
    static int index(StructType schema, String column, String role) {
        if (column == null) throw new IllegalArgumentException("no " + role + " column set");
        for (int i = 0; i < schema.fields().length; i++) if (schema.fields()[i].name().equals(column)) return i;
        throw new IllegalArgumentException(role + " column '" + column + "' not found; the Dataset has "
                + Arrays.toString(schema.fieldNames()));
    }

    /** Checks that {@code column} is {@code array<float>}; casting {@code array<double>} is the caller's choice. */
    static int floatArray(StructType schema, String column, String role) {
        int i = index(schema, column, role);
        DataType t = schema.fields()[i].dataType();
        if (!(t instanceof ArrayType a && a.elementType() instanceof FloatType))
            throw new IllegalArgumentException(role + " column '" + column + "' is " + t.simpleString()
                    + ", expected array<float> (e.g. col(\"" + column + "\").cast(\"array<float>\"))");
        return i;
    }

    /** Checks that {@code column} holds whole numbers (byte, short, int or long). */
    static int integral(StructType schema, String column, String role) {
        int i = index(schema, column, role);
        DataType t = schema.fields()[i].dataType();
        if (!(t instanceof IntegerType || t instanceof LongType || t instanceof ShortType || t instanceof ByteType))
            throw new IllegalArgumentException(role + " column '" + column + "' is " + t.simpleString()
                    + ", expected int or bigint");
        return i;
    }

    /** Checks that the output column does not exist yet. */
    static void absent(StructType schema, String column) {
        if (column == null) throw new IllegalArgumentException("no output column set (outputCol)");
        if (Arrays.asList(schema.fieldNames()).contains(column))
            throw new IllegalArgumentException("output column '" + column + "' already exists in the Dataset");
    }
}
