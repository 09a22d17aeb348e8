package dev.vlstm.spark;

import dev.vlstm.Model;
import dev.vlstm.Session;

/**
 * One model of this JVM and its sessions: one {@link Session} per thread, kept for the thread's life, since Spark
 * reuses its task threads and a session's grown buffers are worth keeping from one task to the next.
 */
record SharedModel(Model model, ThreadLocal<Session> sessions) {

    SharedModel(Model model) {
        this(model, ThreadLocal.withInitial(model::newSession));
    }

    /** The calling thread's session. */
    Session session() {
        return sessions.get();
    }
}
