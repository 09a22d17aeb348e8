package dev.vlstm.example;

import dev.vlstm.Model;
import dev.vlstm.Session;

import java.io.IOException;
import java.nio.file.Path;

public class Predict {
    public static void main(String[] args) throws IOException {
        try (Model model = Model.load(Path.of(args[0]))) {         // lstm_16.vlstm: read, validated, shared by all threads
            Session session = model.newSession();                   // one per thread, reusable
            int seq = 150, batch = 1;
            float[] x = new float[seq * batch * model.inputSize()]; // [seq, batch, input], row-major
            float[] y = session.run(x, seq, batch);                 // [seq, batch, outputSize]

            float[] out = new float[seq * batch * model.outputSize()];
            session.run(x, seq, batch, out);                        // no allocation once warmed up
            System.out.println(model.outputName() + ": " + y.length + " values, kernels " + session.kernels());
        }
    }
}
