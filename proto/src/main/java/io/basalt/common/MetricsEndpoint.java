package io.basalt.common;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.JmxReporter;
import com.codahale.metrics.jvm.GarbageCollectorMetricSet;
import com.codahale.metrics.jvm.MemoryUsageGaugeSet;
import com.codahale.metrics.jvm.ThreadStatesGaugeSet;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Exposes a process's Dropwizard registry in Prometheus text format on {@code http://host:port/metrics} and over
 * JMX. One per process; the registry is injected, never static.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private final HTTPServer http;
  private final JmxReporter jmx;

  private MetricsEndpoint(HTTPServer http, JmxReporter jmx) {
    this.http = http;
    this.jmx = jmx;
  }

  /** Starts the endpoint; port 0 picks a free one (see {@link #port()}). */
  public static MetricsEndpoint start(MetricRegistry registry, String host, int port, String jmxDomain) {
    registry.registerAll("basalt_jvm_gc", new GarbageCollectorMetricSet());
    registry.registerAll("basalt_jvm_memory", new MemoryUsageGaugeSet());
    registry.registerAll("basalt_jvm_threads", new ThreadStatesGaugeSet());
    registry.registerAll("basalt_netty_pool", BufferPool.metrics());
    PrometheusRegistry prometheus = new PrometheusRegistry();
    DropwizardExports.builder().dropwizardRegistry(registry).register(prometheus);
    try {
      HTTPServer http = HTTPServer.builder().hostname(host).port(port).registry(prometheus).buildAndStart();
      JmxReporter jmx = JmxReporter.forRegistry(registry).inDomain(jmxDomain).build();
      jmx.start();
      return new MetricsEndpoint(http, jmx);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start metrics endpoint on " + host + ":" + port, e);
    }
  }

  public int port() {
    return http.getPort();
  }

  @Override
  public void close() {
    jmx.close();
    http.close();
  }
}
