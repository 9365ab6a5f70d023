package io.piddm.api.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.piddm.api.InProcessService;
import io.piddm.proto.v1.AliasEvent;
import io.piddm.proto.v1.AliasRecord;
import io.piddm.proto.v1.RegistryServiceGrpc;
import io.piddm.proto.v1.WatchAliasesRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An alias watch that survives a broken stream and resumes after the revision it has seen. */
class RegistryClientWatchTest {

  private final List<WatchAliasesRequest> requests = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private InProcessService service;
  private ManagedChannel channel;

  private static AliasRecord record(long version, long revision) {
    return AliasRecord.newBuilder()
        .setModelName("darcy32")
        .setAlias("prod")
        .setVersion(version)
        .setRevision(revision)
        .build();
  }

  /**
   * The first stream sends the current state (version 2, revision 3) and then breaks, as a
   * restarting registry does; the second sends the move after the revision the client names (or the
   * whole state again if it names none) and stays open.
   */
  private final class FlakyRegistry extends RegistryServiceGrpc.RegistryServiceImplBase {
    @Override
    public void watchAliases(WatchAliasesRequest request, StreamObserver<AliasEvent> response) {
      requests.add(request);
      long seen = request.getSeenRevisionsOrDefault("darcy32/prod", 0);
      if (requests.size() == 1) {
        response.onNext(AliasEvent.newBuilder().setAlias(record(2, 3)).setInitial(true).build());
        response.onError(io.grpc.Status.UNAVAILABLE.asRuntimeException());
        return;
      }
      if (seen < 3) {
        response.onNext(AliasEvent.newBuilder().setAlias(record(2, 3)).setInitial(true).build());
      }
      response.onNext(AliasEvent.newBuilder().setAlias(record(5, 4)).build());
    }
  }

  @BeforeEach
  void start() throws Exception {
    service = InProcessService.start(new FlakyRegistry());
    channel = service.channel();
  }

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
    service.close();
  }

  @Test
  void aBrokenStreamIsReopenedFromTheRevisionAlreadySeen() throws Exception {
    LinkedBlockingQueue<AliasRecord> moves = new LinkedBlockingQueue<>();
    try (RegistryClient client = new RegistryClient(channel, null);
        RegistryClient.AliasWatch watch =
            client.watchAlias("darcy32", "prod", moves::add, scheduler, Duration.ofMillis(50))) {
      assertThat(moves.poll(5, TimeUnit.SECONDS)).isEqualTo(record(2, 3));
      assertThat(moves.poll(5, TimeUnit.SECONDS)).isEqualTo(record(5, 4));
      assertThat(watch.seenRevision()).isEqualTo(4);
    }

    assertThat(requests).hasSize(2);
    assertThat(requests.get(0).getSeenRevisionsMap()).isEmpty();
    assertThat(requests.get(1).getModelName()).isEqualTo("darcy32");
    assertThat(requests.get(1).getSeenRevisionsMap()).containsEntry("darcy32/prod", 3L);
    // the snapshot was not delivered twice
    assertThat(moves).isEmpty();
  }

  @Test
  void aClosedWatchDoesNotReconnect() throws Exception {
    LinkedBlockingQueue<AliasRecord> moves = new LinkedBlockingQueue<>();
    RegistryClient client = new RegistryClient(channel, null);
    RegistryClient.AliasWatch watch =
        client.watchAlias("darcy32", "prod", moves::add, scheduler, Duration.ofSeconds(1));
    assertThat(moves.poll(5, TimeUnit.SECONDS)).isEqualTo(record(2, 3));
    watch.close();

    Thread.sleep(1500);
    assertThat(requests).hasSize(1);
  }
}
