package io.piddm.trainer;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.piddm.pipeline.Phase;
import io.piddm.pipeline.Publisher;
import io.piddm.pipeline.RunCancelledException;
import io.piddm.pipeline.RunListener;
import io.piddm.pipeline.RunPipeline;
import io.piddm.pipeline.RunPlan;
import io.piddm.proto.v1.Run;
import io.piddm.proto.v1.RunEvent;
import io.piddm.proto.v1.RunPhase;
import io.piddm.proto.v1.RunSpec;
import io.piddm.proto.v1.RunState;
import io.piddm.service.PrivateFiles;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Owns the runs: persists each one ({@link RunStore}), runs them one at a time on a worker thread
 * in the order they were started, streams their progress to watchers ({@link RunWatchers}) and
 * resumes, after a restart, the run that was running and everything queued behind it.
 */
@ApplicationScoped
public class RunScheduler {

  private static final Logger LOG = Logger.getLogger(RunScheduler.class);

  /** The cancellation a shutdown asks for: the run stays RUNNING on disk and resumes next start. */
  private static final String SHUTTING_DOWN = "trainer shutting down";

  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final TrainerConfig config;
  private final MeterRegistry meters;
  private final Map<String, Run> runs = new ConcurrentHashMap<>();
  private final Map<String, RunPlan> plans = new ConcurrentHashMap<>();
  private final Map<String, RunEvent> latest = new ConcurrentHashMap<>();
  private final Map<String, String> cancelRequests = new ConcurrentHashMap<>();
  private final LinkedBlockingDeque<String> queue = new LinkedBlockingDeque<>();
  private final RunWatchers watchers = new RunWatchers();
  private final AtomicReference<String> running = new AtomicReference<>();
  private final Map<Phase, Counter> stepCounters = new EnumMap<>(Phase.class);
  private volatile double progress;
  private volatile double stepsPerSecond;
  private volatile String progressPhase = "none";
  private RunStore store;
  private RunLimits limits;
  private DatasetImports imports;
  private RegistryPublisher publisher;
  private Thread worker;

  public RunScheduler(TrainerConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  void start(@Observes @Priority(1000) StartupEvent event) throws IOException {
    // one PyTorch thread: the training loop is tuned for it and float sums stay reproducible
    System.setProperty(
        "ai.djl.pytorch.num_threads", System.getProperty("ai.djl.pytorch.num_threads", "1"));
    System.setProperty(
        "ai.djl.pytorch.num_interop_threads",
        System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    Path data = Path.of(config.dataDir()).toAbsolutePath();
    store = new RunStore(data);
    limits = RunLimits.of(config.limits());
    imports = DatasetImports.of(config.importDir(), data);
    publisher =
        config
            .registry()
            .filter(r -> !r.isBlank())
            .map(
                r ->
                    new RegistryPublisher(
                        r,
                        config.registryToken(),
                        Path.of(config.registryTokenFile()),
                        config.registryCaFile().filter(f -> !f.isBlank()).map(Path::of)))
            .orElse(null);
    if (publisher != null && config.registryToken().filter(t -> !t.isBlank()).isEmpty()) {
      Path tokenFile = Path.of(config.registryTokenFile());
      if (Files.isRegularFile(tokenFile)) {
        PrivateFiles.exposure(tokenFile, "the registry token file").ifPresent(LOG::warn);
      }
    }
    registerMeters();
    List<Run> saved = store.loadAll();
    saved.sort(Comparator.comparing(r -> r.getCreatedAt().getSeconds()));
    for (Run run : saved) {
      if (run.getState() == RunState.RUN_STATE_RUNNING
          || run.getState() == RunState.RUN_STATE_QUEUED) {
        Run resumed = run;
        if (run.getState() == RunState.RUN_STATE_RUNNING) {
          resumed =
              run.toBuilder()
                  .setState(RunState.RUN_STATE_QUEUED)
                  .setResumedCount(run.getResumedCount() + 1)
                  .build();
          store.save(resumed);
          LOG.infof("run %s was interrupted in %s: resuming it", run.getRunId(), run.getPhase());
        }
        try {
          plans.put(run.getRunId(), RunSpecs.plan(run.getSpec(), dataThreads(), limits, imports));
          queue.addLast(run.getRunId());
        } catch (RuntimeException e) {
          resumed = finish(resumed, RunState.RUN_STATE_FAILED, "cannot resume: " + e.getMessage());
        }
        run = resumed;
      }
      runs.put(run.getRunId(), run);
      latest.put(run.getRunId(), event(run, run.getState(), run.getPhase(), ""));
    }
    worker = new Thread(this::work, "trainer-runs");
    worker.setDaemon(true);
    worker.start();
    LOG.infof(
        "trainer: %d runs on record, %d queued; data in %s; imports from %s; registry %s",
        runs.size(),
        queue.size(),
        data,
        imports.folder().map(Path::toString).orElse("(off)"),
        publisher == null ? "(none)" : publisher.target());
  }

  void stop(@Observes ShutdownEvent event) {
    if (worker != null) {
      String current = running.get();
      if (current != null) {
        // stays RUNNING on disk: the next start resumes it from its checkpoints
        cancelRequests.put(current, SHUTTING_DOWN);
      }
      worker.interrupt();
    }
  }

  private int dataThreads() {
    return config.dataThreads() > 0
        ? config.dataThreads()
        : Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  // ---- the API ------------------------------------------------------------------------------

  Run submit(RunSpec spec, String actor) {
    RunPlan plan = RunSpecs.plan(spec, dataThreads(), limits, imports);
    if (!plan.publish().skip() && publisher == null) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "this trainer has no registry (piddm.trainer.registry): set publish.skip to train"
                  + " without publishing")
          .asRuntimeException();
    }
    synchronized (this) {
      long waiting =
          runs.values().stream().filter(r -> r.getState() == RunState.RUN_STATE_QUEUED).count();
      if (waiting >= config.queueSize()) {
        throw Status.RESOURCE_EXHAUSTED
            .withDescription(
                waiting + " runs are already queued (piddm.trainer.queue-size); try again later")
            .asRuntimeException();
      }
      Instant now = Instant.now();
      String id = "run-" + ID_TIME.format(now) + "-" + randomHex(3);
      Run run =
          Run.newBuilder()
              .setRunId(id)
              .setSpec(spec)
              .setState(RunState.RUN_STATE_QUEUED)
              .setPhase(RunPhase.RUN_PHASE_QUEUED)
              .setCreatedAt(timestamp(now))
              .setCreatedBy(actor)
              .build();
      store.save(run);
      runs.put(id, run);
      plans.put(id, plan);
      latest.put(id, event(run, run.getState(), run.getPhase(), "queued"));
      queue.addLast(id);
      LOG.infof("run %s queued by %s: %s", id, actor, plan);
      return run;
    }
  }

  Run get(String runId) {
    Run run = runs.get(runId);
    if (run == null) {
      throw Status.NOT_FOUND.withDescription("no run " + runId).asRuntimeException();
    }
    return run;
  }

  /** Runs newest first, optionally only those in {@code state}. */
  List<Run> list(RunState state) {
    return runs.values().stream()
        .filter(
            r ->
                state == RunState.RUN_STATE_UNSPECIFIED
                    || state == RunState.UNRECOGNIZED
                    || r.getState() == state)
        .sorted(
            Comparator.comparing((Run r) -> r.getCreatedAt().getSeconds())
                .thenComparing(r -> r.getCreatedAt().getNanos())
                .thenComparing(Run::getRunId)
                .reversed())
        .toList();
  }

  void watch(String runId, ServerCallStreamObserver<RunEvent> stream) {
    Run run = get(runId);
    RunEvent current = latest.getOrDefault(runId, event(run, run.getState(), run.getPhase(), ""));
    watchers.add(runId, current, stream);
  }

  Run cancel(String runId, String reason) {
    synchronized (this) {
      Run run = get(runId);
      if (RunWatchers.isTerminal(run.getState())) {
        throw Status.FAILED_PRECONDITION
            .withDescription("run " + runId + " has already ended (" + run.getState().name() + ")")
            .asRuntimeException();
      }
      String why = reason == null || reason.isBlank() ? "cancelled" : "cancelled: " + reason;
      if (run.getState() == RunState.RUN_STATE_QUEUED && queue.remove(runId)) {
        return finish(run, RunState.RUN_STATE_CANCELLED, why);
      }
      cancelRequests.put(runId, why);
    }
    // the worker stops at the next step boundary; give it a moment so the answer is final
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline && !RunWatchers.isTerminal(get(runId).getState())) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return get(runId);
  }

  // ---- the worker ---------------------------------------------------------------------------

  private void work() {
    while (!Thread.currentThread().isInterrupted()) {
      String id;
      try {
        id = queue.takeFirst();
      } catch (InterruptedException e) {
        return;
      }
      Run run = runs.get(id);
      if (run == null || run.getState() != RunState.RUN_STATE_QUEUED) {
        continue;
      }
      running.set(id);
      try {
        execute(run, plans.get(id));
      } catch (RuntimeException e) {
        LOG.errorf(e, "run %s: unexpected failure", id);
      } finally {
        running.set(null);
        progress = 0;
        stepsPerSecond = 0;
        progressPhase = "none";
      }
    }
  }

  private void execute(Run queued, RunPlan plan) {
    String id = queued.getRunId();
    Run run =
        update(
            queued.toBuilder()
                .setState(RunState.RUN_STATE_RUNNING)
                .setStartedAt(
                    queued.hasStartedAt() ? queued.getStartedAt() : timestamp(Instant.now()))
                .build(),
            queued.getResumedCount() > 0 ? "resumed" : "started");
    RunListener listener = new Listener(id);
    try {
      RunPipeline.Outcome outcome =
          new RunPipeline(plan, id, store.workDir(id), publisherOrNone(), listener).run();
      Run.Builder done =
          runs.get(id).toBuilder().putAllMetrics(finiteOnly(outcome.metrics())).clearError();
      String message = "done";
      if (outcome.published() != null) {
        Publisher.Published p = outcome.published();
        done.setPublished(publisher.manifest(p.modelName(), p.version()));
        message = "published " + p.modelName() + " v" + p.version();
        if (!p.alias().isEmpty()) {
          if (p.aliasError().isEmpty()) {
            message += ", " + p.alias() + " → v" + p.version();
          } else {
            message += "; alias " + p.alias() + " not moved: " + p.aliasError();
            done.setError("alias " + p.alias() + " not moved: " + p.aliasError());
          }
        }
      }
      done.setPhase(RunPhase.RUN_PHASE_DONE);
      finish(done.build(), RunState.RUN_STATE_SUCCEEDED, message);
    } catch (RunCancelledException e) {
      if (SHUTTING_DOWN.equals(e.getMessage())) {
        LOG.infof("run %s paused for shutdown; it resumes at the next start", id);
        return;
      }
      finish(runs.get(id), RunState.RUN_STATE_CANCELLED, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.infof("run %s interrupted; it resumes at the next start", id);
    } catch (Exception | Error e) {
      LOG.errorf(e, "run %s failed", id);
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      if (e instanceof io.grpc.StatusRuntimeException s) {
        why = "registry: " + s.getStatus().getCode() + " " + s.getStatus().getDescription();
      }
      finish(runs.get(id), RunState.RUN_STATE_FAILED, why);
    }
  }

  private Publisher publisherOrNone() {
    return publisher != null
        ? publisher
        : request -> {
          throw new IOException("this trainer has no registry configured");
        };
  }

  private static Map<String, Double> finiteOnly(Map<String, Double> metrics) {
    Map<String, Double> finite = new LinkedHashMap<>();
    metrics.forEach(
        (k, v) -> {
          if (v != null && Double.isFinite(v)) {
            finite.put(k, v);
          }
        });
    return finite;
  }

  /** Progress of the running run: events to watchers, gauges, cancellation at step boundaries. */
  private final class Listener implements RunListener {
    private final String id;

    Listener(String id) {
      this.id = id;
    }

    @Override
    public void onPhase(Phase phase, boolean skipped, String message) {
      checkCancelled();
      Run run = runs.get(id).toBuilder().setPhase(phaseOf(phase)).build();
      progressPhase = phase.name().toLowerCase();
      progress = skipped ? 1 : 0;
      update(run, (skipped ? "skipped: " : "") + message);
    }

    @Override
    public void onProgress(Progress p) {
      checkCancelled();
      progress = p.totalSteps() == 0 ? 0 : (double) p.step() / p.totalSteps();
      stepsPerSecond = p.stepsPerSecond();
      if (p.phase() == Phase.TEACHER || p.phase() == Phase.STUDENT) {
        stepCounters.get(p.phase()).increment();
      }
      Run run = runs.get(id);
      RunEvent event =
          event(run, run.getState(), phaseOf(p.phase()), "").toBuilder()
              .setStep(p.step())
              .setTotalSteps(p.totalSteps())
              .putAllLosses(finiteOnly(p.losses()))
              .setStepsPerSecond(finite(p.stepsPerSecond()))
              .setEtaSeconds(finite(p.etaSeconds()))
              .setSkippedSteps(p.skippedSteps())
              .build();
      latest.put(id, event);
      watchers.publish(event, true);
    }

    private void checkCancelled() {
      String why = cancelRequests.get(id);
      if (why != null) {
        throw new RunCancelledException(why);
      }
    }
  }

  private static double finite(double value) {
    return Double.isFinite(value) ? value : 0;
  }

  private static RunPhase phaseOf(Phase phase) {
    return RunPhase.valueOf("RUN_PHASE_" + phase.name());
  }

  /** Saves {@code run} and tells its watchers. */
  private Run update(Run run, String message) {
    store.save(run);
    runs.put(run.getRunId(), run);
    RunEvent event = event(run, run.getState(), run.getPhase(), message);
    latest.put(run.getRunId(), event);
    watchers.publish(event, false);
    return run;
  }

  private Run finish(Run run, RunState state, String message) {
    Run.Builder ended = run.toBuilder().setState(state).setFinishedAt(timestamp(Instant.now()));
    if (state != RunState.RUN_STATE_SUCCEEDED) {
      ended.setError(message);
    }
    cancelRequests.remove(run.getRunId());
    plans.remove(run.getRunId());
    LOG.infof("run %s %s: %s", run.getRunId(), state.name(), message);
    return update(ended.build(), message);
  }

  private static RunEvent event(Run run, RunState state, RunPhase phase, String message) {
    return RunEvent.newBuilder()
        .setRunId(run.getRunId())
        .setState(state)
        .setPhase(phase)
        .setMessage(message)
        .setTime(timestamp(Instant.now()))
        .build();
  }

  // ---- metrics ------------------------------------------------------------------------------

  private void registerMeters() {
    for (RunState state :
        List.of(
            RunState.RUN_STATE_QUEUED,
            RunState.RUN_STATE_RUNNING,
            RunState.RUN_STATE_SUCCEEDED,
            RunState.RUN_STATE_FAILED,
            RunState.RUN_STATE_CANCELLED)) {
      Gauge.builder(
              "piddm.trainer.runs",
              runs,
              all -> all.values().stream().filter(r -> r.getState() == state).count())
          .tag("state", state.name().substring("RUN_STATE_".length()).toLowerCase())
          .description("Runs on record by state")
          .register(meters);
    }
    for (Phase phase : List.of(Phase.TEACHER, Phase.STUDENT)) {
      stepCounters.put(
          phase,
          Counter.builder("piddm.trainer.steps")
              .tag("phase", phase.name().toLowerCase())
              .description("Optimiser steps taken")
              .register(meters));
    }
    for (Phase phase : Phase.values()) {
      String name = phase.name().toLowerCase();
      Gauge.builder(
              "piddm.trainer.run.progress",
              this,
              s -> s.progressPhase.equals(name) ? s.progress : 0)
          .tag("phase", name)
          .description("Fraction of the running run's current phase done (0 when idle)")
          .register(meters);
    }
    Gauge.builder("piddm.trainer.steps.per.second", this, s -> s.stepsPerSecond)
        .description("Steps per second of the running phase (0 when idle)")
        .register(meters);
    Gauge.builder("piddm.trainer.watchers", watchers, RunWatchers::count)
        .description("Open WatchRun streams")
        .register(meters);
  }

  private static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private static String randomHex(int bytes) {
    byte[] raw = new byte[bytes];
    new SecureRandom().nextBytes(raw);
    return HexFormat.of().formatHex(raw);
  }
}
