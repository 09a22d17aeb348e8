package dev.vlstm.spark;

import dev.vlstm.Model;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.struct;

/**
 * Scores a Spark {@code Dataset<Row>} of sequences with a vlstm model; the model's main output becomes a new
 * {@code array<float>} column: for a model with an output per timestep, the sequence's {@code length × outputSize}
 * values in time order, else its one row of {@code outputSize} values. Each executor JVM loads the model once and
 * shares it between its task threads; each task thread runs its own {@code Session}; rows are scored in batches of
 * {@link #batchSize} sequences.
 *
 * <p>Two input shapes. One sequence per row, its timesteps' features one after another:
 * <pre>{@code
 * Dataset<Row> scored = VlstmScorer.forModel(Path.of("/models/lstm.vlstm"))
 *         .inputCol("x")               // array<float>: length x inputSize values
 *         .lengthCol("len")            // optional: timesteps per row (else the array's size / inputSize)
 *         .outputCol("y")
 *         .transform(sequences);       // sequences' columns + y
 * }</pre>
 * One timestep per row, grouped by a key and ordered by a time column:
 * <pre>{@code
 * Dataset<Row> scored = VlstmScorer.forModelBytes(Files.readAllBytes(model), "lstm.vlstm")
 *         .inputCol("features")        // array<float>: inputSize values, one timestep
 *         .groupedBy("device", "t")    // one sequence per device, in t order
 *         .outputCol("y")
 *         .transform(events);          // (device, y), one row per device
 * }</pre>
 * Errors found from the schema (a missing column, a wrong type, a missing model) are thrown by {@link #transform};
 * errors in the data (an array whose size does not fit the model's input size or the length column, a null value,
 * two rows of one key at the same time) fail the job, naming the column and the row (row number within its
 * partition) or key.
 */
public final class VlstmScorer {
    private final String modelPath;          // one of these two
    private final byte[] modelBytes;
    private final String modelName;
    private String inputCol, lengthCol, outputCol, keyCol, timeCol;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private ModelSource.FromBroadcast broadcast;    // sent on the first transform, reused by later ones of its context
    private org.apache.spark.SparkContext broadcastContext;

    /** Sequences per {@code Session.run} call unless {@link #batchSize} says otherwise (measured: README). */
    public static final int DEFAULT_BATCH_SIZE = 16;

    private VlstmScorer(String modelPath, byte[] modelBytes, String modelName) {
        this.modelPath = modelPath;
        this.modelBytes = modelBytes;
        this.modelName = modelName;
    }

    /**
     * A scorer whose executors each read the model from {@code file}, which must exist at that path on the driver
     * (checked now and loaded for the schema checks) and on every executor (a shared filesystem, or a file shipped
     * with {@code --files}/{@code SparkFiles}).
     *
     * @throws IllegalArgumentException when the file does not exist on the driver
     */
    public static VlstmScorer forModel(Path file) {
        if (!Files.isRegularFile(file))
            throw new IllegalArgumentException("vlstm model file '" + file + "' not found (absolute: "
                    + file.toAbsolutePath() + ")");
        return new VlstmScorer(file.toString(), null, null);
    }

    /**
     * A scorer that sends the model's bytes (a .vlstm file's contents) to the executors in a Spark broadcast on its
     * first {@link #transform}: nothing to install on the cluster; each executor receives the bytes once.
     *
     * @param name names the model in messages, e.g. the file the bytes came from
     */
    public static VlstmScorer forModelBytes(byte[] bytes, String name) {
        return new VlstmScorer(null, bytes.clone(), name);
    }

    /** The {@code array<float>} column with each row's sequence (or, {@link #groupedBy}, each row's timestep). */
    public VlstmScorer inputCol(String column) {
        this.inputCol = column;
        return this;
    }

    /** An int or bigint column with each row's timesteps; its array must hold exactly length × inputSize values. */
    public VlstmScorer lengthCol(String column) {
        this.lengthCol = column;
        return this;
    }

    /** The new column that gets the model's output. */
    public VlstmScorer outputCol(String column) {
        this.outputCol = column;
        return this;
    }

    /**
     * Rows are timesteps: the rows of each {@code keyCol} value make one sequence, in the order of {@code timeCol}
     * (any orderable type, one row per time). The result has one row per key: the key and the output column.
     */
    public VlstmScorer groupedBy(String keyCol, String timeCol) {
        this.keyCol = keyCol;
        this.timeCol = timeCol;
        return this;
    }

    /** Sequences per {@code Session.run} call (1: each alone); larger batches use the matrix kernels better. */
    public VlstmScorer batchSize(int sequences) {
        if (sequences < 1) throw new IllegalArgumentException("batchSize " + sequences + ", expected >= 1");
        this.batchSize = sequences;
        return this;
    }

    /**
     * Checks the columns against the model and returns the scored Dataset (lazy, as any transformation).
     *
     * @throws IllegalArgumentException naming the column, for a missing or mistyped column, or a model that takes
     *                                  token ids (not supported yet)
     * @throws UncheckedIOException     when the model cannot be read on the driver
     */
    public Dataset<Row> transform(Dataset<Row> data) {
        ModelSource source = source(data);
        Model model = source.model().model();
        if (model.takesTokenIds())
            throw new IllegalArgumentException(source.name() + " takes token ids; VlstmScorer scores float features only");
        StructType schema = data.schema();
        ColumnChecks.floatArray(schema, inputCol, "input");
        return keyCol == null ? sequencePerRow(data, source) : stepPerRow(data, source);
    }

    private Dataset<Row> sequencePerRow(Dataset<Row> data, ModelSource source) {
        StructType schema = data.schema();
        ColumnChecks.absent(schema, outputCol);
        int input = ColumnChecks.floatArray(schema, inputCol, "input");
        int length = lengthCol == null ? -1 : ColumnChecks.integral(schema, lengthCol, "length");
        StructType out = schema.add(outputCol, DataTypes.createArrayType(DataTypes.FloatType, false), true);
        return InternalRows.mapPartitions(data, new ArrayScoring(source, inputCol, input, mayHoldNulls(schema, input),
                lengthCol, length, length < 0 ? null : schema.fields()[length].dataType(), batchSize), out);
    }

    private Dataset<Row> stepPerRow(Dataset<Row> data, ModelSource source) {
        StructType schema = data.schema();
        int key = ColumnChecks.index(schema, keyCol, "key");
        int time = ColumnChecks.index(schema, timeCol, "time");
        int input = ColumnChecks.floatArray(schema, inputCol, "input");
        if (outputCol == null || outputCol.equals(keyCol))
            throw new IllegalArgumentException("output column '" + outputCol + "' must be set and differ from the key column");
        // array_sort orders the structs by their first field, t; collect_list alone keeps no order.
        Dataset<Row> grouped = data.groupBy(col(keyCol))
                .agg(array_sort(collect_list(struct(col(timeCol).as("t"), col(inputCol).as("features")))).as("steps"));
        StructType out = new StructType().add(schema.fields()[key])
                .add(outputCol, DataTypes.createArrayType(DataTypes.FloatType, false), true);
        return InternalRows.mapPartitions(grouped, new StepScoring(source, keyCol, schema.fields()[key].dataType(), timeCol,
                schema.fields()[time].dataType(), inputCol, mayHoldNulls(schema, input), batchSize), out);
    }

    private static boolean mayHoldNulls(StructType schema, int arrayColumn) {
        return ((ArrayType) schema.fields()[arrayColumn].dataType()).containsNull();
    }

    private ModelSource source(Dataset<Row> data) {
        if (modelPath != null) return new ModelSource.FromPath(modelPath);
        org.apache.spark.SparkContext context = data.sparkSession().sparkContext();
        if (broadcast == null || broadcastContext != context) {
            broadcast = ModelSource.FromBroadcast.of(JavaSparkContext.fromSparkContext(context), modelBytes, modelName);
            broadcastContext = context;
        }
        return broadcast;
    }
}
