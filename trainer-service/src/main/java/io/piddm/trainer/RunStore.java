package io.piddm.trainer;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.piddm.proto.v1.Run;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Runs on disk: {@code <data-dir>/runs/<run-id>/run.json} (the Run message in protobuf's JSON
 * mapping, replaced atomically on every change) beside the run's working folder {@code work/}.
 */
final class RunStore {

  private static final Logger LOG = Logger.getLogger(RunStore.class);
  private static final String FILE = "run.json";

  private final Path runs;

  RunStore(Path dataDir) throws IOException {
    this.runs = dataDir.resolve("runs");
    Files.createDirectories(runs);
  }

  Path workDir(String runId) {
    return runs.resolve(runId).resolve("work");
  }

  void save(Run run) {
    Path dir = runs.resolve(run.getRunId());
    try {
      Files.createDirectories(dir);
      Path temporary = dir.resolve(FILE + ".tmp");
      Files.writeString(temporary, JsonFormat.printer().print(run), StandardCharsets.UTF_8);
      Files.move(
          temporary,
          dir.resolve(FILE),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot save run " + run.getRunId() + " in " + dir, e);
    }
  }

  /** Every saved run; an unreadable one is logged and left out. */
  List<Run> loadAll() throws IOException {
    List<Run> all = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(runs)) {
      for (Path dir : dirs.filter(Files::isDirectory).toList()) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
          continue;
        }
        try {
          Run.Builder run = Run.newBuilder();
          JsonFormat.parser()
              .ignoringUnknownFields()
              .merge(Files.readString(file, StandardCharsets.UTF_8), run);
          all.add(run.build());
        } catch (InvalidProtocolBufferException e) {
          LOG.warnf("skipping unreadable run state %s: %s", file, e.getMessage());
        }
      }
    }
    return all;
  }
}
