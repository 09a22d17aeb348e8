package dev.vlstm;

/**
 * The shape of the call a {@link Plan} is running, set once per run or step and read by every stage: timesteps, batch
 * rows, per-row sequence lengths (null: all full length) and the session's threads (null: the calling thread alone).
 */
final class Pass {
    int seq, batch;
    int[] lengths;
    Team team;

    Pass set(int seq, int batch, int[] lengths, Team team) {
        this.seq = seq;
        this.batch = batch;
        this.lengths = lengths;
        this.team = team;
        return this;
    }

    int parts() {
        return team == null ? 1 : team.parts();
    }
}
