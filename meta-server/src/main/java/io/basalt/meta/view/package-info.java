/**
 * Wire views of table values ({@link io.basalt.meta.view.InfoViews}: ChunkInfo, VolumeInfo, ExtentInfo), shared
 * by every component that answers with them. Below the components (not in {@code meta.rpc}) because the
 * operations build their answers on the loop, where the tables may be read; an extent's owner is shown only while
 * its session lives, asked through {@link io.basalt.meta.state.Liveness}.
 *
 * <p>Threads: MetaLoop only. May import: {@code meta.state}.
 */
package io.basalt.meta.view;
