package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.io.onnx.TestModels;

/**
 * The Airflow DAGs under {@code scripts/airflow/}, rendered for one day by
 * {@code scripts/airflow/tests/render_dag_commands.py} (against a stub of the Airflow API: Airflow need not be
 * installed, only python3 with jinja2), with their inputs on the test models: every job's command passes
 * {@code --dry-run} as spark-submit would run it, and a re-run of a day whose outputs are complete skips every job and
 * publishes.
 */
class AirflowDagTest {
  private static final Path SCRIPT = Path.of("..", "scripts", "airflow", "tests", "render_dag_commands.py");
  private static final String DAY = "2026-12-08";

  /** A rendered SparkSubmitOperator task: {@code job} (calibrate, gptq, qat) or {@code publish}. */
  record Task(String taskId, String kind, String command, List<String> args, Map<String, String> conf) {
    /** The CLI arguments for an in-process run: the application args, and as --conf what spark-submit sets. */
    List<String> cli(String... extra) {
      List<String> cli = new ArrayList<>(args);
      conf.forEach((k, v) -> cli.addAll(List.of("--conf", k + "=" + v)));
      cli.addAll(List.of(extra));
      return cli;
    }

    String option(String name) {
      return args.get(args.indexOf(name) + 1);
    }
  }

  /** Why the DAG tests cannot run here, or null; asked once. */
  private static String missing;
  private static boolean checked;

  @BeforeEach
  void needsPythonWithJinja() throws InterruptedException {
    synchronized (AirflowDagTest.class) {
      if (!checked) {
        missing = pythonWithJinja();
        checked = true;
      }
    }
    Assumptions.assumeTrue(missing == null, missing);
  }

  private static String pythonWithJinja() throws InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder("python3", "-c", "import jinja2").redirectErrorStream(true).start();
    } catch (IOException e) {
      return "the Airflow DAG tests need python3 on the PATH: " + e.getMessage();
    }
    String out = read(p.getInputStream());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      return "the Airflow DAG tests need jinja2 for python3 (pip install jinja2): 'import jinja2' failed: "
          + out.strip();
    }
    return null;
  }

  /** The day's rendered tasks, with the test models and data as inputs and outputs under {@code root}. */
  static List<Task> render(Path root) throws Exception {
    String outputRoot = root.toUri().toString().replaceAll("/$", "");
    List<String> command = new ArrayList<>(List.of("python3", SCRIPT.toString(), "--ds", DAY,
        "--param", "model=" + uri(TestModels.path(TestModels.MINILM)),
        "--param", "tokenizer=" + uri(TestModels.path(TestModels.MINILM_TOKENIZER)),
        "--param", "config=" + uri(Path.of("..", "conf", "examples", "minilm.yaml")),
        "--param", "data=" + uri(CalibrateCommandTest.SENTENCES),
        "--param", "max_samples=16", "--param", "qat_max_samples=16",
        "--param", "output_root=" + outputRoot));
    Process p = new ProcessBuilder(command).start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    String out = read(p.getInputStream());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "render_dag_commands.py did not finish");
    assertEquals(0, p.exitValue(), "render_dag_commands.py failed:\n" + err.get());
    ObjectMapper json = new ObjectMapper();
    List<Task> tasks = new ArrayList<>();
    for (String line : out.strip().split("\n")) {
      JsonNode t = json.readTree(line);
      List<String> args = new ArrayList<>();
      t.get("application_args").forEach(a -> args.add(a.asText()));
      Map<String, String> conf = new LinkedHashMap<>();
      t.get("conf").fields().forEachRemaining(e -> conf.put(e.getKey(), e.getValue().asText()));
      tasks.add(new Task(t.get("task_id").asText(), t.get("kind").asText(), t.get("command").asText(), args, conf));
    }
    return tasks;
  }

  @Test
  void everyJobOfTheDayPassesADryRunOnTheTestModels(@TempDir Path dir) throws Exception {
    List<Task> jobs = render(dir).stream().filter(t -> t.kind().equals("job")).toList();
    Set<String> commands = new TreeSet<>();
    for (Task job : jobs) {
      commands.add(job.command());
      assertTrue(job.option("--output").endsWith("/" + DAY + "/" + job.command()), job.args().toString());
      Cli.Result r = Cli.run(job.cli("--master", "local[1]", "--dry-run").toArray(String[]::new));
      assertEquals(0, r.code(), job.taskId() + " " + job.cli() + ":\n" + r.out() + r.err());
      assertTrue(r.out().contains("dry run: " + job.command() + "'s checks passed"), r.out());
    }
    assertEquals(Set.of("calibrate", "gptq", "qat"), commands);
    assertFalse(Files.exists(dir.resolve(DAY)), "a dry run wrote nothing");
  }

  @Test
  void aRerunOfACompleteDaySkipsEveryJobThenPublishes(@TempDir Path dir) throws Exception {
    List<Task> tasks = render(dir);
    for (Task job : tasks.stream().filter(t -> t.kind().equals("job")).toList()) {
      Path output = Path.of(URI.create(job.option("--output")));
      Files.createDirectories(output);
      Files.createFile(output.resolve("_SUCCESS"));
      // --skip-if-complete: the job stops at its complete output, before it reads any input or starts Spark
      Cli.Result r = Cli.run(job.cli("--master", "local[1]").toArray(String[]::new));
      assertEquals(0, r.code(), job.taskId() + ":\n" + r.out() + r.err());
      assertTrue(r.out().contains("is complete"), r.out());
      assertFalse(r.out().contains("engine self-check"), "skipped before any check: " + r.out());
      try (var files = Files.list(output)) {
        assertEquals(List.of("_SUCCESS"), files.map(f -> f.getFileName().toString()).toList());
      }
    }
    List<Task> publishes = tasks.stream().filter(t -> t.kind().equals("publish")).toList();
    assertEquals(3, publishes.size(), tasks.toString());
    for (Task publish : publishes) {
      Cli.Result r = Cli.run(publish.cli().toArray(String[]::new));
      assertEquals(0, r.code(), publish.taskId() + ":\n" + r.out() + r.err());
      Path latest = Path.of(URI.create(publish.option("--latest")));
      String target = Files.readString(latest, StandardCharsets.UTF_8);
      assertTrue(target.startsWith("file:") && target.endsWith("\n"), "a fully qualified URI and a newline: " + target);
      assertEquals(Path.of(URI.create(publish.option("--output"))), Path.of(URI.create(target.strip())));
    }
  }

  private static String uri(Path p) {
    return p.toAbsolutePath().normalize().toUri().toString();
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
