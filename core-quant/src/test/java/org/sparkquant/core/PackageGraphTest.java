package org.sparkquant.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageGraphTest {
  @TempDir Path root;

  private void source(String pkg, String cls, String body) throws IOException {
    Path dir = root.resolve(pkg.replace('.', '/'));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(cls + ".java"), "package " + pkg + ";\n\n" + body + "\nclass " + cls + " {}\n");
  }

  @Test
  void importsStaticImportsWildcardsAndQualifiedNamesAreDependencies() throws IOException {
    source("p.a", "A", "import p.b.B;\nimport static p.c.C.f;\nimport p.d.*;");
    source("p.b", "B", "/** See {@link p.e.E#x}, not the package {@code p.a}. */");
    source("p.c", "C", "");
    source("p.d", "D", "import java.util.List;\nimport org.apache.spark.SparkConf;");
    source("p.e", "E", "");
    PackageGraph g = PackageGraph.read(root);
    assertEquals(Set.of("p.b", "p.c", "p.d"), g.dependencies().get("p.a"));
    assertEquals(Set.of("p.e"), g.dependencies().get("p.b"));
    assertEquals(new TreeSet<>(List.of()), g.dependencies().get("p.d"));
    assertEquals(Map.of("p.d", Set.of("org.apache.spark")), g.referencesTo("org.apache.spark", "org.apache.hadoop"));
    assertEquals(Optional.empty(), g.cycle());
  }

  @Test
  void aLongCycleIsReportedWithItsPackages() throws IOException {
    source("q.a", "A", "import q.b.B;");
    source("q.b", "B", "import q.c.C;");
    source("q.c", "C", "/** Uses {@link q.a.A}. */");
    source("q.d", "D", "import q.a.A;");
    assertEquals(Optional.of(List.of("q.a", "q.b", "q.c", "q.a")), PackageGraph.read(root).cycle());
    assertTrue(PackageGraph.read(root).render("q").contains("c -> a"));
  }
}
