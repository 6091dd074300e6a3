package io.basalt.meta.zk;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code basalt-zookeeper}: runs one {@link EmbeddedZooKeeper} until the process is killed (the shutdown hook
 * closes it). Prints {@code zookeeper ready at host:port} on stdout once it serves, for launch scripts.
 */
@Command(name = "basalt-zookeeper", mixinStandardHelpOptions = true,
    description = "Runs a standalone embedded ZooKeeper server (local mode).")
public final class EmbeddedZooKeeperMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeperMain.class);

  @Option(names = "--dir", required = true, description = "data directory (created if missing)")
  Path dir;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "listen address (default ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port", defaultValue = "2181", description = "client port, 0 = pick (default ${DEFAULT-VALUE})")
  int port;

  @Override
  public Integer call() throws InterruptedException {
    EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir, host, port);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      zk.close();
      stopped.countDown();
    }, "basalt-zookeeper-shutdown"));
    String ready = "zookeeper ready at " + zk.getConnectionString();
    log.info(ready);
    System.out.println(ready);
    System.out.flush();
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    int rc = new CommandLine(new EmbeddedZooKeeperMain()).execute(args);
    if (rc != 0) {
      System.exit(rc);
    }
  }
}
