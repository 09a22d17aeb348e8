package dev.vlstm.format;

/** The linear head applied to the last layer's output: {@code y = x·Aᵀ + b}, A is [outputSize, inputSize]. */
public record HeadSpec(int inputSize, int outputSize) {
}
