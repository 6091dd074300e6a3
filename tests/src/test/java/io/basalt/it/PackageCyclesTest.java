package io.basalt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No package cycles in Basalt's main code (issue 11): runs jdeps ({@code -verbose:class}, dependencies on
 * {@code io.basalt} only) over the main classes of every module on the test classpath (their target/classes
 * directories, or their basalt-*.jar when Maven packaged them; test classes and test-jars are left out), folds the
 * class edges into package edges and fails naming every strongly connected component of two or more packages, with
 * the package edges inside it and the classes behind each edge. A plain unit test (a few seconds), run by
 * {@code mvn test} and {@code mvn verify} of this module.
 */
@Timeout(60)
class PackageCyclesTest {
  /** "   io.basalt.a.Foo$Bar      -> io.basalt.b.Baz      classes" (the last column names the archive). */
  private static final Pattern CLASS_EDGE =
      Pattern.compile("^\\s+(io\\.basalt\\.[\\w.$]+)\\s+->\\s+(io\\.basalt\\.[\\w.$]+)\\s+\\S.*$");
  /** Class edges printed per package edge in the failure message. */
  private static final int EXAMPLES = 3;

  @Test
  void noPackageCycles() {
    List<Path> roots = mainClassRoots();
    assertThat(roots).as("main classes of the Basalt modules on the test classpath").hasSizeGreaterThanOrEqualTo(6);
    SortedMap<String, SortedMap<String, SortedSet<String>>> edges = packageEdges(roots);
    for (String module : List.of("io.basalt.proto", "io.basalt.session", "io.basalt.meta", "io.basalt.chunk",
        "io.basalt.client", "io.basalt.cli")) {
      assertThat(edges.keySet()).as("packages jdeps saw").anyMatch(p -> p.equals(module) || p.startsWith(module
          + "."));
    }

    List<SortedSet<String>> cycles = cycles(edges);
    if (!cycles.isEmpty()) {
      fail(report(cycles, edges, roots));
    }
  }

  @Test
  void findsEveryStronglyConnectedComponentOfTwoOrMorePackages() {
    SortedMap<String, Map<String, Integer>> g = new TreeMap<>();
    g.put("a", Map.of("b", 1));
    g.put("b", Map.of("c", 1, "d", 1));
    g.put("c", Map.of("a", 1));
    g.put("d", Map.of("e", 1));
    g.put("e", Map.of("d", 1));
    g.put("f", Map.of("a", 1, "g", 1));
    g.put("g", Map.of());
    assertThat(cycles(g)).containsExactly(new TreeSet<>(Set.of("a", "b", "c")), new TreeSet<>(Set.of("d", "e")));
    g.put("e", Map.of());
    g.put("g", Map.of("f", 1));
    assertThat(cycles(g)).containsExactly(new TreeSet<>(Set.of("a", "b", "c")), new TreeSet<>(Set.of("f", "g")));
  }

  /** The directories and jars holding the main classes of Basalt's modules, from the test classpath. */
  static List<Path> mainClassRoots() {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<Path> roots = new ArrayList<>();
    for (String entry : cp.split(File.pathSeparator)) {
      Path p = Path.of(entry);
      String name = p.getFileName() == null ? "" : p.getFileName().toString();
      boolean classesDir = Files.isDirectory(p) && name.equals("classes")
          && Files.isDirectory(p.resolve("io/basalt"));
      boolean moduleJar = Files.isRegularFile(p) && name.startsWith("basalt-") && name.endsWith(".jar")
          && !name.endsWith("-tests.jar");
      if (classesDir || moduleJar) {
        roots.add(p);
      }
    }
    return roots;
  }

  /** package -> package it depends on -> the class edges ("a.Foo -> b.Bar") behind it; io.basalt only. */
  static SortedMap<String, SortedMap<String, SortedSet<String>>> packageEdges(List<Path> roots) {
    ToolProvider jdeps = ToolProvider.findFirst("jdeps")
        .orElseThrow(() -> new AssertionError("no jdeps in this JDK (module jdk.jdeps)"));
    List<String> args = new ArrayList<>(List.of("-verbose:class", "-filter:package", "-e", "io\\.basalt\\..*"));
    roots.forEach(r -> args.add(r.toString()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc = jdeps.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
    assertThat(rc).as("jdeps %s failed: %s", args, err).isZero();

    SortedMap<String, SortedMap<String, SortedSet<String>>> edges = new TreeMap<>();
    for (String line : out.toString().split("\\R")) {
      Matcher m = CLASS_EDGE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      String from = packageOf(m.group(1));
      String to = packageOf(m.group(2));
      edges.computeIfAbsent(from, k -> new TreeMap<>());
      edges.computeIfAbsent(to, k -> new TreeMap<>());
      if (!from.equals(to)) {
        edges.get(from).computeIfAbsent(to, k -> new TreeSet<>()).add(simple(m.group(1)) + " -> "
            + simple(m.group(2)));
      }
    }
    return edges;
  }

  private static String packageOf(String className) {
    return className.substring(0, className.lastIndexOf('.'));
  }

  private static String simple(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  /** The strongly connected components of two or more packages (Tarjan), each sorted, in package order. */
  static List<SortedSet<String>> cycles(SortedMap<String, ? extends Map<String, ?>> graph) {
    Tarjan t = new Tarjan(graph);
    graph.keySet().forEach(v -> {
      if (!t.index.containsKey(v)) {
        t.connect(v);
      }
    });
    return t.components.stream().filter(c -> c.size() > 1)
        .sorted((a, b) -> a.first().compareTo(b.first())).toList();
  }

  /** Tarjan's algorithm; recursive, which is fine for the ~100 packages Basalt has. */
  private static final class Tarjan {
    final SortedMap<String, ? extends Map<String, ?>> graph;
    final Map<String, Integer> index = new HashMap<>();
    final Map<String, Integer> low = new HashMap<>();
    final Deque<String> stack = new ArrayDeque<>();
    final Set<String> onStack = new TreeSet<>();
    final List<SortedSet<String>> components = new ArrayList<>();

    Tarjan(SortedMap<String, ? extends Map<String, ?>> graph) {
      this.graph = graph;
    }

    void connect(String v) {
      index.put(v, index.size());
      low.put(v, index.get(v));
      stack.push(v);
      onStack.add(v);
      Map<String, ?> out = graph.get(v);
      for (String w : out == null ? Set.<String>of() : out.keySet()) {
        if (!index.containsKey(w)) {
          connect(w);
          low.put(v, Math.min(low.get(v), low.get(w)));
        } else if (onStack.contains(w)) {
          low.put(v, Math.min(low.get(v), index.get(w)));
        }
      }
      if (low.get(v).equals(index.get(v))) {
        SortedSet<String> component = new TreeSet<>();
        String w;
        do {
          w = stack.pop();
          onStack.remove(w);
          component.add(w);
        } while (!w.equals(v));
        components.add(component);
      }
    }
  }

  /** Every cycle: its packages, then each edge inside it with up to {@link #EXAMPLES} of the classes behind it. */
  static String report(List<SortedSet<String>> cycles, SortedMap<String, SortedMap<String, SortedSet<String>>> edges,
      List<Path> roots) {
    StringBuilder sb = new StringBuilder();
    sb.append(cycles.size()).append(" package cycle(s) in the main code (each package below reaches every other "
        + "of its cycle through the edges listed; break each by moving a class or reversing an edge):\n");
    for (SortedSet<String> cycle : cycles) {
      sb.append("\ncycle {").append(cycle.stream().map(PackageCyclesTest::shortName)
          .collect(Collectors.joining(", "))).append("}\n");
      for (String from : cycle) {
        edges.get(from).forEach((to, classes) -> {
          if (cycle.contains(to)) {
            sb.append("  ").append(from).append(" -> ").append(to).append("  (")
                .append(classes.stream().limit(EXAMPLES).collect(Collectors.joining("; ")))
                .append(classes.size() > EXAMPLES ? "; +" + (classes.size() - EXAMPLES) + " more" : "")
                .append(")\n");
          }
        });
      }
    }
    sb.append("\nclasses analysed: ").append(roots).append('\n');
    sb.append("details: jdeps -verbose:class -e 'io\\.basalt\\..*' <those paths>\n");
    return sb.toString();
  }

  /** "io.basalt.chunk.owner" -> "chunk.owner", the form issue 11 uses. */
  private static String shortName(String pkg) {
    return pkg.startsWith("io.basalt.") ? pkg.substring("io.basalt.".length()) : pkg;
  }
}
