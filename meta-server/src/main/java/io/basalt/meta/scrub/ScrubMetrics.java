package io.basalt.meta.scrub;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;

/**
 * Scrub metrics of the meta leader: extents scrubbed (light and deep apart), mismatches, CRC failures, block bytes
 * the members read, scrubs that must be tried again, quarantines sent, and the extents marked SUSPECT (a gauge the
 * MetaLoop publishes when records change and at each pass). Injected registry, never static.
 */
public final class ScrubMetrics {
  public final Counter scrubbedLight;
  public final Counter scrubbedDeep;
  public final Counter mismatches;
  public final Counter crcErrors;
  public final Counter bytesRead;
  public final Counter retries;
  public final Counter quarantinesSent;
  public final Counter quarantinesFailed;
  private volatile long suspect;
  private volatile long running;

  public ScrubMetrics(MetricRegistry registry) {
    scrubbedLight = registry.counter("basalt_meta_scrub_extents_light");
    scrubbedDeep = registry.counter("basalt_meta_scrub_extents_deep");
    mismatches = registry.counter("basalt_meta_scrub_mismatches");
    crcErrors = registry.counter("basalt_meta_scrub_crc_errors");
    bytesRead = registry.counter("basalt_meta_scrub_bytes_read");
    retries = registry.counter("basalt_meta_scrub_retries");
    quarantinesSent = registry.counter("basalt_meta_scrub_quarantines_sent");
    quarantinesFailed = registry.counter("basalt_meta_scrub_quarantines_failed");
    registry.gauge("basalt_meta_scrub_suspect_extents", () -> (Gauge<Long>) () -> suspect);
    registry.gauge("basalt_meta_scrub_running", () -> (Gauge<Long>) () -> running);
  }

  public void publish(long suspect, long running) {
    this.suspect = suspect;
    this.running = running;
  }

  public long suspect() {
    return suspect;
  }
}
