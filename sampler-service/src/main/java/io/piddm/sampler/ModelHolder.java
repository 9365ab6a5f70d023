package io.piddm.sampler;

import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.piddm.api.BearerToken;
import io.piddm.api.registry.RegistryClient;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.StudentModel;
import io.piddm.proto.v1.GetAliasRequest;
import io.piddm.proto.v1.Grid;
import io.piddm.proto.v1.LoadFailure;
import io.piddm.proto.v1.LoadState;
import io.piddm.proto.v1.ModelIdentity;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.Pde;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The student being served: loaded at startup from {@code piddm.sampler.model-dir} and/or from the
 * registry alias, swapped atomically; requests {@link #acquire} one model and release it when they
 * end, so a swap never mixes versions within a request. The replaced model closes when its last
 * request releases it. The alias is followed through the registry's WatchAliases stream (a move
 * starts a load at once) and a periodic reconcile that also covers a lost stream.
 */
@ApplicationScoped
public class ModelHolder {

  private static final Logger LOG = Logger.getLogger(ModelHolder.class);
  private static final int FAILURES_KEPT = 10;
  private static final long WATCH_RETRY_MILLIS = 2000;

  private final SamplerConfig config;
  private final AtomicReference<LoadedModel> current = new AtomicReference<>();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicInteger open = new AtomicInteger();
  private final Deque<LoadFailure> failures = new ArrayDeque<>();
  private final Counter loadFailures;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "sampler-model-loader");
            t.setDaemon(true);
            return t;
          });
  private volatile RegistryClient.AliasWatch aliasWatch;
  private volatile ManagedChannel registry;
  private volatile RegistryClient registryClient;

  public ModelHolder(SamplerConfig config, MeterRegistry meters) {
    this.config = config;
    this.loadFailures =
        Counter.builder("piddm.sampler.load.failures")
            .description("Model loads that failed (bad files, checksum, metadata, registry)")
            .register(meters);
    Gauge.builder(
            "piddm.sampler.loaded.version",
            current,
            c -> c.get() == null ? 0 : c.get().identity().getVersion())
        .description("The model version being served (0: none)")
        .register(meters);
    Gauge.builder("piddm.sampler.models.open", open, AtomicInteger::get)
        .description("Models whose ONNX Runtime sessions are open (the served one plus draining)")
        .register(meters);
  }

  void onStart(@Observes StartupEvent event) {
    config
        .modelDir()
        .filter(s -> !s.isBlank())
        .ifPresent(
            dir -> {
              try {
                loadFolder(Path.of(dir), null, null);
              } catch (Exception e) {
                fail(0, "model-dir " + dir + ": " + e.getMessage(), e);
              }
            });
    if (config.registry().filter(s -> !s.isBlank()).isPresent()
        && config.model().filter(s -> !s.isBlank()).isPresent()) {
      ManagedChannelBuilder<?> channel =
          io.piddm.probe.GrpcChannels.forTarget(
              config.registry().get(),
              config.registryCaFile().filter(f -> !f.isBlank()).map(java.nio.file.Path::of));
      Optional<String> token = config.registryToken();
      if (token != null && token.filter(BearerToken::present).isPresent()) {
        channel.intercept(BearerToken.header(token.get()));
      }
      registry = channel.build();
      // the token travels on the channel, so the client adds none
      registryClient = new RegistryClient(registry, null);
      scheduler.execute(this::reconcile);
      watch();
      long every = config.reconcileInterval().toMillis();
      if (every > 0) {
        scheduler.scheduleWithFixedDelay(this::reconcile, every, every, TimeUnit.MILLISECONDS);
      }
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    if (aliasWatch != null) {
      aliasWatch.close();
    }
    scheduler.shutdownNow();
    if (registry != null) {
      registry.shutdownNow();
    }
    LoadedModel m = current.getAndSet(null);
    if (m != null) {
      m.retire();
    }
  }

  /**
   * Follows alias moves as the registry pushes them; each move to another version than the served
   * one schedules a reconcile on the loader thread (so loads never overlap). A broken stream is
   * reopened after a pause, passing the revision already seen so the snapshot does not trigger a
   * needless reload ({@link RegistryClient#watchAlias}).
   */
  private void watch() {
    String model = config.model().orElseThrow();
    aliasWatch =
        registryClient.watchAlias(
            model,
            config.alias(),
            moved -> {
              LoadedModel served = current.get();
              if (served == null || served.identity().getVersion() != moved.getVersion()) {
                LOG.infof(
                    "alias %s of %s moved to version %d",
                    config.alias(), model, moved.getVersion());
                submitReconcile();
              }
            },
            scheduler,
            Duration.ofMillis(WATCH_RETRY_MILLIS));
  }

  private void submitReconcile() {
    try {
      scheduler.execute(this::reconcile);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // shutting down
    }
  }

  /** Whether a model-dir or a registry model is configured. */
  public boolean sourceConfigured() {
    return config.modelDir().filter(s -> !s.isBlank()).isPresent()
        || (config.registry().filter(s -> !s.isBlank()).isPresent()
            && config.model().filter(s -> !s.isBlank()).isPresent());
  }

  /** The model serving now, or null; for status only, never for work (see {@link #acquire}). */
  public LoadedModel current() {
    return current.get();
  }

  /**
   * The served model with a reference taken for one request, or null when none is loaded. The
   * caller must {@link LoadedModel#release} it when the request ends.
   */
  public LoadedModel acquire() {
    while (true) {
      LoadedModel m = current.get();
      if (m == null || m.tryAcquire()) {
        return m;
      }
      // m was retired and drained between the read and the acquire: the new one is published
    }
  }

  public LoadState state() {
    LoadedModel served = current.get();
    long loading = pending.get();
    if (served == null) {
      return loading != 0 ? LoadState.LOAD_STATE_LOADING : LoadState.LOAD_STATE_NONE;
    }
    // a version being loaded while another serves still serves; the swap publishes it first
    return LoadState.LOAD_STATE_SERVING;
  }

  public long pendingVersion() {
    LoadedModel served = current.get();
    long loading = pending.get();
    return served != null && served.identity().getVersion() == loading ? 0 : loading;
  }

  public synchronized List<LoadFailure> recentFailures() {
    return List.copyOf(failures);
  }

  /** Opens a student folder, warms it up and makes it the served model. */
  public LoadedModel loadFolder(Path dir, ModelManifest manifest, String alias) throws Exception {
    StudentModel student =
        StudentModel.open(
            dir, OnnxSessions.Provider.parse(config.provider()), config.intraOpThreads());
    try {
      student.warmUp();
    } catch (Exception e) {
      student.close();
      throw e;
    }
    StudentModel.Metadata meta = student.metadata();
    long version = manifest != null ? manifest.getVersion() : parseVersion(meta.version());
    String name =
        manifest != null && !manifest.getModelName().isEmpty()
            ? manifest.getModelName()
            : meta.name();
    double h = 1.0 / (meta.gridSize() - 1);
    ModelIdentity identity =
        ModelIdentity.newBuilder()
            .setModelName(name)
            .setVersion(version)
            .setAlias(alias == null ? "" : alias)
            .setPde(pde(meta.pde()))
            .setResidualSpecId(meta.residualSpec())
            .setGrid(
                Grid.newBuilder()
                    .setHeight(meta.gridSize())
                    .setWidth(meta.gridSize())
                    .setSpacingX(h)
                    .setSpacingY(h)
                    .addAllChannels(meta.channels()))
            .build();
    LoadedModel loaded =
        new LoadedModel(
            student,
            identity,
            manifest == null ? ModelManifest.getDefaultInstance() : manifest,
            Instant.now(),
            open::decrementAndGet);
    open.incrementAndGet();
    LoadedModel old = current.getAndSet(loaded);
    LOG.infof("serving %s version %d on %s from %s", name, version, loaded.providerLabel(), dir);
    if (old != null) {
      old.retire();
    }
    return loaded;
  }

  /** Reads the alias; when it points elsewhere than the served version, downloads and swaps. */
  void reconcile() {
    String model = config.model().orElseThrow();
    long target = 0;
    try {
      target =
          registryClient
              .stub()
              .getAlias(
                  GetAliasRequest.newBuilder().setModelName(model).setAlias(config.alias()).build())
              .getAlias()
              .getVersion();
      LoadedModel served = current.get();
      if (served != null
          && served.identity().getModelName().equals(model)
          && served.identity().getVersion() == target) {
        return;
      }
      pending.set(target);
      Path dir = Path.of(config.cacheDir(), model, Long.toString(target));
      ModelManifest manifest = registryClient.download(model, target, dir);
      loadFolder(dir, manifest, config.alias());
    } catch (Exception e) {
      fail(target, "registry " + model + "@" + config.alias() + ": " + e.getMessage(), e);
    } finally {
      pending.set(0);
    }
  }

  private synchronized void fail(long version, String reason, Exception e) {
    LOG.warnf(e, "model load failed: %s", reason);
    loadFailures.increment();
    Instant now = Instant.now();
    failures.addFirst(
        LoadFailure.newBuilder()
            .setVersion(version)
            .setReason(reason)
            .setAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
            .build());
    while (failures.size() > FAILURES_KEPT) {
      failures.removeLast();
    }
  }

  private static long parseVersion(String v) {
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Pde pde(String name) {
    try {
      return Pde.valueOf("PDE_" + name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return Pde.PDE_UNSPECIFIED;
    }
  }
}
