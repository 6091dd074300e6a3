/**
 * Named fault-injection points ({@link io.basalt.failpoint.Failpoints}) that servers fire on their own paths and
 * tests or operators arm through the test admin RPC: return an error, throw, delay, hang or halt the process.
 *
 * <p>Threads: a failpoint runs on the thread that reaches it (an ordered executor, a meta loop, an event loop for a
 * delay-free action); arming and disarming is thread-safe from any thread.
 *
 * <p>May import: {@code io.basalt.rpc} (its error action throws a {@code BasaltException}), {@code io.basalt.common},
 * the generated {@code io.basalt.proto} codes, the JDK and SLF4J. Nothing in {@code rpc} or {@code common} imports
 * it: that is why it is a package of its own.
 */
package io.basalt.failpoint;
