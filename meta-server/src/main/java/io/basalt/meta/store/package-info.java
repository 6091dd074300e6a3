/**
 * Durable metadata in ZooKeeper (DESIGN.md "Durable metadata"): {@link io.basalt.meta.store.MetaStore} and
 * {@link io.basalt.meta.store.ZkMetaStore} (every write one multi with {@code check(meta/epoch, version)}),
 * {@link io.basalt.meta.store.ZkPaths} (the layout, paged records), {@link io.basalt.meta.store.MutationBatch},
 * {@link io.basalt.meta.store.MetaImage} (what a new leader loads), {@link io.basalt.meta.store.FencingToken} and
 * {@link io.basalt.meta.store.FencedException}. Translates {@code KeeperException}s at its boundary.
 *
 * <p>Threads: blocking calls (claim, load, layout) on the elector thread; {@code commit} from the MetaLoop, one
 * batch at a time, completing on Curator's event thread.
 *
 * <p>May import: proto, common, Curator/ZooKeeper; nothing else of meta.
 */
package io.basalt.meta.store;
