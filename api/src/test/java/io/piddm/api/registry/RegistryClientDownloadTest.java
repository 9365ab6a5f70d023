package io.piddm.api.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.piddm.api.InProcessService;
import io.piddm.proto.v1.DownloadRequest;
import io.piddm.proto.v1.DownloadResponse;
import io.piddm.proto.v1.FileChunk;
import io.piddm.proto.v1.FileEntry;
import io.piddm.proto.v1.GetVersionRequest;
import io.piddm.proto.v1.GetVersionResponse;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.RegistryServiceGrpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verified downloads against an in-process registry that can serve bytes its manifest denies. */
class RegistryClientDownloadTest {

  /** What the fake registry stores: file name → bytes, and what its manifest claims. */
  private final Map<String, byte[]> stored = new LinkedHashMap<>();

  private final Map<String, String> claimedSha = new LinkedHashMap<>();
  private final List<String> downloads = new ArrayList<>();
  private InProcessService service;
  private ManagedChannel channel;

  private final class FakeRegistry extends RegistryServiceGrpc.RegistryServiceImplBase {
    @Override
    public void getVersion(GetVersionRequest request, StreamObserver<GetVersionResponse> response) {
      ModelManifest.Builder m =
          ModelManifest.newBuilder()
              .setModelName(request.getSelector().getModelName())
              .setVersion(request.getSelector().getVersion());
      stored.forEach(
          (name, bytes) ->
              m.addFiles(
                  FileEntry.newBuilder()
                      .setName(name)
                      .setSizeBytes(bytes.length)
                      .setSha256(claimedSha.get(name))));
      response.onNext(GetVersionResponse.newBuilder().setManifest(m).build());
      response.onCompleted();
    }

    @Override
    public void download(DownloadRequest request, StreamObserver<DownloadResponse> response) {
      downloads.add(request.getFileName());
      byte[] bytes = stored.get(request.getFileName());
      // in chunks of 3 bytes, so the client must put them together in order
      for (int from = 0; from < bytes.length; from += 3) {
        byte[] part = java.util.Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + 3));
        response.onNext(
            DownloadResponse.newBuilder()
                .setChunk(
                    FileChunk.newBuilder()
                        .setFileName(request.getFileName())
                        .setOffset(from)
                        .setData(ByteString.copyFrom(part)))
                .build());
      }
      response.onCompleted();
    }
  }

  private void store(String name, String content) throws Exception {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    stored.put(name, bytes);
    claimedSha.put(
        name, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
  }

  @BeforeEach
  void start() throws Exception {
    service = InProcessService.start(new FakeRegistry());
    channel = service.channel();
  }

  @AfterEach
  void stop() {
    service.close();
  }

  @Test
  void writesEveryFileOfTheVersionAndFetchesOnlyWhatIsMissingOrDifferent(@TempDir Path dir)
      throws Exception {
    store("model.onnx", "network bytes, longer than a chunk");
    store("manifest.json", "{}");
    try (RegistryClient client = new RegistryClient(channel, null)) {
      ModelManifest manifest = client.download("darcy32", 4, dir);

      assertThat(manifest.getVersion()).isEqualTo(4);
      assertThat(Files.readString(dir.resolve("model.onnx")))
          .isEqualTo("network bytes, longer than a chunk");
      assertThat(Files.readString(dir.resolve("manifest.json"))).isEqualTo("{}");
      assertThat(downloads).containsExactly("model.onnx", "manifest.json");

      // a second download keeps the files whose checksum matches and refetches a changed one
      Files.writeString(dir.resolve("manifest.json"), "{\"tampered\": true}");
      client.download("darcy32", 4, dir);
      assertThat(downloads).containsExactly("model.onnx", "manifest.json", "manifest.json");
      assertThat(Files.readString(dir.resolve("manifest.json"))).isEqualTo("{}");
    }
  }

  @Test
  void bytesThatDoNotMatchTheManifestNeverReachTheFolder(@TempDir Path dir) throws Exception {
    store("model.onnx", "the bytes as stored");
    claimedSha.put("model.onnx", "0".repeat(64));
    try (RegistryClient client = new RegistryClient(channel, null)) {
      assertThatThrownBy(() -> client.download("darcy32", 1, dir))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("model.onnx: sha256 ")
          .hasMessageContaining("does not match the manifest's " + "0".repeat(64));
    }
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void aManifestNameThatIsNotAPlainNameIsRefused(@TempDir Path dir) throws Exception {
    store("../escape", "x");
    try (RegistryClient client = new RegistryClient(channel, null)) {
      assertThatThrownBy(() -> client.download("darcy32", 1, dir.resolve("v1")))
          .isInstanceOf(IOException.class)
          .hasMessage("manifest file name '../escape' is not a plain name");
    }
    assertThat(dir.resolveSibling("escape")).doesNotExist();
    assertThat(downloads).isEmpty();
  }
}
