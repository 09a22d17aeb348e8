package dev.vlstm.flink.readme;

import dev.vlstm.flink.LstmStepFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;

/** Scores every reading with an LSTM that carries each device's state from one reading to the next. */
public class SensorScoring {
    public record Reading(String device, long time, float[] values) {}   // values: float[model.inputSize()]
    public record Score(String device, long time, float[] y) {}          // y: float[model.outputSize()]

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(10_000);                 // every checkpoint holds every device's LSTM state
        DataStream<Reading> readings = env.fromData(     // your source here: Kafka, files, ...
                new Reading("pump-1", 0, new float[100]), new Reading("pump-1", 1, new float[100]));
        score(readings, args[0]).print();
        env.execute("sensor scoring");
    }

    public static DataStream<Score> score(DataStream<Reading> readings, String modelPath) {
        return readings
                .keyBy(Reading::device)                  // one LSTM state per device
                .process(LstmStepFunction.builder(modelPath, Reading::values, Score.class,
                                (reading, y) -> new Score(reading.device(), reading.time(), y))
                        .idleStateTtl(Duration.ofDays(30))   // a device silent for 30 days starts afresh
                        .build())
                .uid("lstm");                            // a fixed uid: savepoints find the state by it
    }
}
