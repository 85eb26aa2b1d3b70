package org.sparkquant.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The package dependencies of a Java source tree, read from the sources alone: each file's {@code import} lines
 * (plain, static and wildcard) and the fully qualified class names in its text (comments included, so a Javadoc link
 * is a dependency too; a package named without a class is not). Any module can check its layering with it, e.g.
 * {@code PackageGraph.read(Path.of("src/main/java")).cycle()}.
 */
public final class PackageGraph {
  private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
  private static final Pattern IMPORT =
      Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+?)(?:\\.\\*)?\\s*;", Pattern.MULTILINE);
  /** A lower-case dotted prefix followed by a capitalized segment: a package and a class in it. */
  private static final Pattern QUALIFIED =
      Pattern.compile("(?<![\\w.])([a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)+)\\.[A-Z]");

  private final SortedMap<String, SortedSet<String>> references;

  private PackageGraph(SortedMap<String, SortedSet<String>> references) {
    this.references = references;
  }

  /** Reads every {@code .java} file under {@code sourceRoot} (e.g. {@code src/main/java}). */
  public static PackageGraph read(Path sourceRoot) {
    if (!Files.isDirectory(sourceRoot)) {
      throw new IllegalArgumentException(
          "source root " + sourceRoot.toAbsolutePath() + " is not a directory; pass the module's src/main/java");
    }
    SortedMap<String, SortedSet<String>> refs = new TreeMap<>();
    try (Stream<Path> files = Files.walk(sourceRoot)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        String text = Files.readString(f);
        Matcher p = PACKAGE.matcher(text);
        if (!p.find()) {
          throw new IllegalArgumentException(f + " has no package declaration");
        }
        SortedSet<String> to = refs.computeIfAbsent(p.group(1), k -> new TreeSet<>());
        Matcher i = IMPORT.matcher(text);
        while (i.find()) {
          to.add(packageOf(i.group(1)));
        }
        Matcher q = QUALIFIED.matcher(text);
        while (q.find()) {
          to.add(q.group(1));
        }
        to.remove(p.group(1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the sources under " + sourceRoot, e);
    }
    return new PackageGraph(refs);
  }

  /** The package part of an imported name: the segments before the first capitalized one. */
  static String packageOf(String name) {
    List<String> segments = new ArrayList<>();
    for (String s : name.split("\\.")) {
      if (!s.isEmpty() && Character.isUpperCase(s.charAt(0))) {
        break;
      }
      segments.add(s);
    }
    return String.join(".", segments);
  }

  /** The packages declared in the tree. */
  public SortedSet<String> packages() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(references.keySet()));
  }

  /** Per package of the tree, the other packages of the tree it depends on. */
  public SortedMap<String, SortedSet<String>> dependencies() {
    SortedMap<String, SortedSet<String>> out = new TreeMap<>();
    references.forEach((from, to) -> out.put(from, to.stream().filter(references::containsKey)
        .collect(Collectors.toCollection(TreeSet::new))));
    return out;
  }

  /** Per package of the tree, what it references whose name starts with one of {@code prefixes}; none are left out. */
  public SortedMap<String, SortedSet<String>> referencesTo(String... prefixes) {
    SortedMap<String, SortedSet<String>> out = new TreeMap<>();
    references.forEach((from, to) -> to.stream()
        .filter(t -> Stream.of(prefixes).anyMatch(x -> t.equals(x) || t.startsWith(x + ".")))
        .forEach(t -> out.computeIfAbsent(from, k -> new TreeSet<>()).add(t)));
    return out;
  }

  /**
   * A dependency cycle, as the packages along it with the first repeated at the end ({@code a, b, a}), or empty
   * when the packages form a DAG. Packages are visited in sorted order, so the cycle reported is always the same.
   */
  public Optional<List<String>> cycle() {
    Map<String, SortedSet<String>> deps = dependencies();
    Set<String> done = new HashSet<>();
    for (String start : deps.keySet()) {
      List<String> path = new ArrayList<>();
      Optional<List<String>> c = cycleFrom(start, deps, path, done);
      if (c.isPresent()) {
        return c;
      }
    }
    return Optional.empty();
  }

  private static Optional<List<String>> cycleFrom(
      String p, Map<String, SortedSet<String>> deps, List<String> path, Set<String> done) {
    int at = path.indexOf(p);
    if (at >= 0) {
      List<String> c = new ArrayList<>(path.subList(at, path.size()));
      c.add(p);
      return Optional.of(c);
    }
    if (done.contains(p)) {
      return Optional.empty();
    }
    path.add(p);
    for (String q : deps.get(p)) {
      Optional<List<String>> c = cycleFrom(q, deps, path, done);
      if (c.isPresent()) {
        return c;
      }
    }
    path.remove(path.size() - 1);
    done.add(p);
    return Optional.empty();
  }

  /** One line per package, {@code package -> dep, dep}, names shortened by {@code commonPrefix} (may be empty). */
  public String render(String commonPrefix) {
    return dependencies().entrySet().stream()
        .map(e -> shorten(e.getKey(), commonPrefix) + " -> "
            + e.getValue().stream().map(d -> shorten(d, commonPrefix)).collect(Collectors.joining(", ")))
        .collect(Collectors.joining("\n"));
  }

  private static String shorten(String p, String prefix) {
    return !prefix.isEmpty() && p.startsWith(prefix + ".") ? p.substring(prefix.length() + 1) : p;
  }
}
