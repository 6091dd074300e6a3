package io.basalt.tester;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tester's real-client load: {@code fio --verify} through the real NBD server (fio's libnbd engine), one pass
 * after another on a volume of its own, until stopped. Each pass writes the whole volume in random order at QD16
 * (4 KiB and 64 KiB blocks, a new random seed per pass, so a block left over from an earlier pass fails the check)
 * and then reads every block back and checks its CRC32C and header. A pass that ends with an I/O error is in doubt
 * (fio stops at the first error, before its verify phase), never a loss; a pass whose verify fails is a violation.
 * {@link #stop()} lets the pass under way finish.
 */
final class FioVerifyLoad implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FioVerifyLoad.class);
  /** How long {@link #stop()} lets the pass under way go on. */
  static final Duration PASS_LIMIT = Duration.ofSeconds(60);

  /** What the passes of one run came to. */
  record Result(long passesVerified, long passesInDoubt, String violation) {
    boolean ok() {
      return violation == null;
    }

    String summary() {
      return "fio --verify: " + passesVerified + " passes verified, " + passesInDoubt + " in doubt"
          + (violation == null ? "" : ", VIOLATION " + violation);
    }
  }

  private final String uri;
  private final long volumeBytes;
  private final Path workDir;
  private final AtomicLong seeds;
  private final Thread thread;
  private volatile boolean stopping;
  private volatile Process current;
  private volatile boolean killed;
  private long verified;
  private long inDoubt;
  private String violation;

  private FioVerifyLoad(String uri, long volumeBytes, Path workDir, long seed) {
    this.uri = uri;
    this.volumeBytes = volumeBytes;
    this.workDir = workDir;
    this.seeds = new AtomicLong(seed);
    this.thread = new Thread(this::loop, "basalt-tester-fio");
    this.thread.setDaemon(true);
  }

  /** Starts passes on {@code uri} (an NBD URI of a volume of {@code volumeBytes}); outputs go to {@code workDir}. */
  static FioVerifyLoad start(String uri, long volumeBytes, Path workDir, long seed) {
    FioVerifyLoad f = new FioVerifyLoad(uri, volumeBytes, workDir, seed);
    f.thread.start();
    return f;
  }

  /** The fio command of one pass. */
  List<String> command(long seed, Path output) {
    return List.of("fio", "--name=basalt-tester-verify", "--ioengine=nbd", "--uri=" + uri,
        "--rw=randwrite", "--bssplit=4k/70:64k/30", "--iodepth=16", "--size=" + volumeBytes, "--verify=crc32c",
        "--do_verify=1", "--verify_fatal=1", "--randseed=" + seed, "--output=" + output);
  }

  private void loop() {
    int pass = 0;
    while (!stopping) {
      long seed = seeds.incrementAndGet();
      Path out = workDir.resolve("fio-pass.txt");
      try {
        Files.createDirectories(workDir);
        Process p = new ProcessBuilder(command(seed, out)).redirectErrorStream(true)
            .redirectOutput(workDir.resolve("fio-pass.stderr").toFile()).start();
        current = p;
        int rc = p.waitFor();
        current = null;
        if (killed) {
          return; // cut short by stop(): neither verified nor in doubt
        }
        String text = read(out) + read(workDir.resolve("fio-pass.stderr"));
        classify(rc, text, ++pass, seed);
      } catch (IOException e) {
        synchronized (this) {
          violation = violation != null ? violation : "fio could not run: " + e.getMessage();
        }
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** What one pass came to. */
  enum Verdict { VERIFIED, IN_DOUBT, VERIFY_FAILED }

  /**
   * A pass's verdict from fio's exit code and output: an I/O error makes it in doubt (fio stops at the first one,
   * before verifying); a verify error without one is a violation.
   */
  static Verdict verdict(int rc, String text) {
    if (rc == 0) {
      return Verdict.VERIFIED;
    }
    String lower = text.toLowerCase(Locale.ROOT);
    boolean verifyFailed = lower.contains("verify: bad") || lower.contains("verify failed")
        || lower.contains("bad magic") || lower.contains("crc32c: verify");
    boolean ioError = lower.contains("input/output error") || lower.contains("err=5 ");
    return verifyFailed && !ioError ? Verdict.VERIFY_FAILED : Verdict.IN_DOUBT;
  }

  private synchronized void classify(int rc, String text, int pass, long seed) throws IOException {
    Verdict v = verdict(rc, text);
    if (v == Verdict.VERIFIED) {
      verified++;
      return;
    }
    if (v == Verdict.VERIFY_FAILED) {
      Path kept = workDir.resolve("fio-violation-pass-" + pass + ".txt");
      Files.writeString(kept, text, StandardCharsets.UTF_8);
      violation = violation != null ? violation : "pass " + pass + " (randseed " + seed + ") failed its verify: "
          + firstLine(text, "verify") + " (output kept in " + kept + ")";
      log.error("fio verify failed: {}", violation);
      stopping = true;
    } else {
      inDoubt++;
      log.info("fio pass {} ended with exit code {} (in doubt): {}", pass, rc, firstLine(text, "err"));
    }
  }

  /**
   * Lets the pass under way finish, write and verify (so every run ends with a verified pass unless it is in doubt),
   * starts no other, and returns the run's result. A pass still running after {@code PASS_LIMIT} is killed and counts
   * as neither verified nor in doubt.
   */
  Result stop() {
    stopping = true;
    try {
      thread.join(PASS_LIMIT.toMillis());
      if (thread.isAlive()) {
        killed = true;
        Process p = current;
        if (p != null) {
          p.destroyForcibly();
        }
        thread.join(TimeUnit.SECONDS.toMillis(30));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      return new Result(verified, inDoubt, violation);
    }
  }

  /** Kills the pass under way at once (at the end of the run, or with the cluster frozen for evidence). */
  @Override
  public void close() {
    stopping = true;
    killed = true;
    Process p = current;
    if (p != null) {
      p.destroyForcibly();
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String read(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
  }

  private static String firstLine(String text, String containing) {
    return text.lines().filter(l -> l.toLowerCase(Locale.ROOT).contains(containing)).findFirst()
        .orElse(text.lines().findFirst().orElse("")).trim();
  }
}
