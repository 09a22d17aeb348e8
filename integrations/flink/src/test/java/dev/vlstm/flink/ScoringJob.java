package dev.vlstm.flink;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;

/**
 * The tests' job: generated readings from one source subtask (so each device's readings reach the LSTM in order),
 * keyed by device, scored by {@link LstmStepFunction}, optionally passed through {@code afterLstm} (chained to it),
 * and collected. The uids keep a savepoint's state matched to the operators across runs of different parallelism.
 */
final class ScoringJob {
    private ScoringJob() {
    }

    /** {@code devices × readings} readings {@link Reading#nth}, at {@code rate}. */
    static DataGeneratorSource<Reading> readings(int devices, int readings, int inputSize, RateLimiterStrategy<?> rate) {
        return readings(i -> Reading.nth(i, devices, inputSize), (long) devices * readings, rate);
    }

    static DataGeneratorSource<Reading> readings(GeneratorFunction<Long, Reading> nth, long count,
                                                 RateLimiterStrategy<?> rate) {
        return new DataGeneratorSource<>(nth, count, rate, TypeInformation.of(Reading.class));
    }

    static void build(StreamExecutionEnvironment env, String model, DataGeneratorSource<Reading> source,
                      int parallelism, MapFunction<Score, Score> afterLstm, CollectingSink sink, Duration idleStateTtl) {
        build(env, model, source, parallelism, afterLstm, sink, idleStateTtl, 0);
    }

    /** With {@code microBatchKeys} > 0, the LSTM is {@link LstmMicroBatchOperator} (batches of that many keys, 5 ms). */
    static void build(StreamExecutionEnvironment env, String model, DataGeneratorSource<Reading> source,
                      int parallelism, MapFunction<Score, Score> afterLstm, CollectingSink sink, Duration idleStateTtl,
                      int microBatchKeys) {
        env.setMaxParallelism(128);
        LstmStepFunction.Builder<Reading, Score> lstm = LstmStepFunction.builder(model, Reading::values, Score.class,
                (reading, y) -> new Score(reading.device(), reading.index(), y));
        if (idleStateTtl != null) lstm.idleStateTtl(idleStateTtl);
        KeyedStream<Reading, String> keyed = env.fromSource(source, WatermarkStrategy.noWatermarks(), "readings")
                .uid("readings").setParallelism(1)
                .keyBy(Reading::device);
        DataStream<Score> scores = (microBatchKeys > 0
                ? keyed.transform("lstm", TypeInformation.of(Score.class),
                        lstm.buildMicroBatching(microBatchKeys, Duration.ofMillis(5)))
                : keyed.process(lstm.build())).uid("lstm").setParallelism(parallelism);
        if (afterLstm != null) scores = scores.map(afterLstm).uid("after-lstm").setParallelism(parallelism);
        scores.sinkTo(sink).uid("collect").setParallelism(parallelism);
    }

    /** The plain job: no operator after the LSTM, no TTL. */
    static void build(StreamExecutionEnvironment env, String model, DataGeneratorSource<Reading> source,
                      int parallelism, CollectingSink sink) {
        build(env, model, source, parallelism, null, sink, null);
    }
}
