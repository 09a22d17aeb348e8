package dev.vlstm.spark;

import dev.vlstm.Model;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.TimeMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;

import static org.apache.spark.sql.functions.col;

/**
 * Scores a stream of events per key with Structured Streaming, each key's LSTM state carried from one event to the
 * next in Spark's state store ({@code transformWithState}); one output row per event.
 *
 * <pre>{@code
 * spark.conf().set("spark.sql.streaming.stateStore.providerClass",
 *         "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider");   // transformWithState needs it
 * Dataset<Row> scored = VlstmStreamScorer.forModelBytes(bytes, "lstm.vlstm")
 *         .keyCol("device").timeCol("t").inputCol("features").outputCol("y")
 *         .transform(events);           // (device, t, y), append mode
 * }</pre>
 *
 * The state survives restarts from the query's checkpoint: each key's state is vlstm's versioned snapshot, which a
 * different model refuses to restore (the query fails naming it) rather than misread. A key's events must come in time
 * order across micro-batches, each once (within one micro-batch any order); the time column is int or bigint.
 * Models must run forward only ({@link Model#newState()}).
 */
public final class VlstmStreamScorer {
    private final String modelPath;
    private final byte[] modelBytes;
    private final String modelName;
    private String keyCol, timeCol, inputCol, outputCol;

    private VlstmStreamScorer(String modelPath, byte[] modelBytes, String modelName) {
        this.modelPath = modelPath;
        this.modelBytes = modelBytes;
        this.modelName = modelName;
    }

    /** Each executor reads the model at {@code file}, as {@link VlstmScorer#forModel}. */
    public static VlstmStreamScorer forModel(Path file) {
        VlstmScorer.forModel(file);     // the same check: the file exists on the driver
        return new VlstmStreamScorer(file.toString(), null, null);
    }

    /** The model's bytes go to the executors in a broadcast, as {@link VlstmScorer#forModelBytes}. */
    public static VlstmStreamScorer forModelBytes(byte[] bytes, String name) {
        return new VlstmStreamScorer(null, bytes.clone(), name);
    }

    public VlstmStreamScorer keyCol(String column) {
        this.keyCol = column;
        return this;
    }

    /** An int or bigint column: each event's time; a key's events are stepped in its order. */
    public VlstmStreamScorer timeCol(String column) {
        this.timeCol = column;
        return this;
    }

    /** An {@code array<float>} column of the model's input size: one timestep's features. */
    public VlstmStreamScorer inputCol(String column) {
        this.inputCol = column;
        return this;
    }

    public VlstmStreamScorer outputCol(String column) {
        this.outputCol = column;
        return this;
    }

    /** The scored stream {@code (key, t, output)}, to write in append mode. */
    public Dataset<Row> transform(Dataset<Row> events) {
        ModelSource source = modelPath != null ? new ModelSource.FromPath(modelPath)
                : ModelSource.FromBroadcast.of(org.apache.spark.api.java.JavaSparkContext
                .fromSparkContext(events.sparkSession().sparkContext()), modelBytes, modelName);
        source.model().model().newState();      // refuses, on the driver, a model that cannot stream
        StructType schema = events.schema();
        int key = ColumnChecks.index(schema, keyCol, "key");
        ColumnChecks.integral(schema, timeCol, "time");
        ColumnChecks.floatArray(schema, inputCol, "input");
        if (outputCol == null) throw new IllegalArgumentException("no output column set (outputCol)");
        Dataset<Row> input = events.select(col(keyCol), col(timeCol).cast("bigint").as(timeCol), col(inputCol));
        StructType keySchema = new StructType().add(schema.fields()[key]);
        StructType out = new StructType().add(schema.fields()[key]).add(timeCol, DataTypes.LongType, false)
                .add(outputCol, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        return input.groupByKey((MapFunction<Row, Row>) r -> RowFactory.create(r.get(0)), Encoders.row(keySchema))
                .transformWithState(new LstmStateProcessor(source, keyCol, 1, 2), TimeMode.None(), OutputMode.Append(),
                        Encoders.row(out));
    }
}
