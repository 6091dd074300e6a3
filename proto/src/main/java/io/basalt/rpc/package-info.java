/**
 * Basalt's RPC layer over TCP: the frame codec ({@link io.basalt.rpc.FrameDecoder}/{@link io.basalt.rpc.FrameEncoder}:
 * length | version | protobuf {@code Envelope} header | data bytes, with {@link io.basalt.rpc.FrameLimits}), the
 * server ({@link io.basalt.rpc.RpcServer}: dispatch by the envelope's body case to an {@link io.basalt.rpc.RpcHandler},
 * connection caps, refusal of requests whose deadline passed before dispatch) and the client
 * ({@link io.basalt.rpc.RpcClient}: pending calls by request id, a deadline per call on one shared wheel timer). It
 * also owns what every caller of an RPC shares: the one exception type {@link io.basalt.rpc.BasaltException} (with
 * {@link io.basalt.rpc.RpcErrors} mapping it to and from error envelopes), the one retryability rule
 * ({@link io.basalt.rpc.Retryability}), the one backoff ({@link io.basalt.rpc.RetryPolicy}) and default deadlines.
 *
 * <p>Threads: Netty event loops ({@code <name>-io-<n>}) decode, dispatch and encode and never block; handlers return
 * futures and hop their own blocking work elsewhere. Client deadlines fire on the {@code basalt-rpc-deadlines} timer
 * thread. Value types and policies are immutable and used from any thread.
 *
 * <p>May import: {@code io.basalt.common}, the generated {@code io.basalt.proto} messages, the JDK, Netty, protobuf,
 * Dropwizard metrics, SLF4J. Never {@code io.basalt.failpoint} or any server or client module.
 */
package io.basalt.rpc;
