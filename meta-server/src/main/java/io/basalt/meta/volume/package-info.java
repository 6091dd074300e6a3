/**
 * Volumes and their extents: {@link io.basalt.meta.volume.VolumeOps} (create, get, list, delete, resize,
 * GetExtents), {@link io.basalt.meta.volume.VolumeRules} (parameter validation and defaults),
 * {@link io.basalt.meta.volume.ExtentOps} (allocation on first write, lookup, lease grants) and
 * {@code ExtentMapListing} (the extent map by index or since a map version). Extents stay with volumes rather
 * than in a package of their own: an extent exists only inside a volume's map, and allocation, listing and
 * deletion change both together.
 *
 * <p>Threads: callable from any thread; the work runs on the MetaLoop through {@link io.basalt.meta.state.MetaState}.
 *
 * <p>May import: {@code meta.placement} (where a new extent's replicas go), {@code meta.session} (grace, live
 * sessions for lease grants), {@code meta.view}, {@code meta.state}, {@code meta.store}.
 */
package io.basalt.meta.volume;
