/**
 * Who is who in a cluster, for {@code cluster status} and {@code local status}: {@code MetaDirectory} (the meta
 * servers and the published leader in ZooKeeper), {@code ZkMemberProbe} (a ZooKeeper member's role via
 * {@code srvr}) and {@code Membership} (every meta server and ZooKeeper member with its state, each asked with a
 * deadline; one that does not answer is "unreachable").
 *
 * <p>Threads: called on the command's thread; {@code Membership.probe} asks the ZooKeeper members in parallel on
 * short-lived daemon threads ("basalt-cli-zk-probe") and the meta servers through the RPC client, and returns when
 * every answer is in or its deadline passed.
 *
 * <p>May import {@code cli.output}, proto, common and ZooKeeper/Curator; no other cli package.
 */
package io.basalt.cli.status;
