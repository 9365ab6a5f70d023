package io.piddm.it.python;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import io.piddm.proto.inference.GrpcPredictV2;
import io.piddm.proto.v1.ManifestProto;
import io.piddm.proto.v1.PhysicsProto;
import io.piddm.proto.v1.RegistryProto;
import io.piddm.proto.v1.SamplerProto;
import io.piddm.proto.v1.TensorProto;
import io.piddm.proto.v1.TrainerProto;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The contracts as the Python package {@code clients/python} loads them: one FileDescriptorSet of
 * every file under {@code proto/} plus what they import, dependencies first, written from the
 * compiled Java contracts (so it matches the .proto files the services were built from).
 */
public final class PythonContracts {

  /** The project root (the integration-tests pom sets piddm.home; the module folder's parent). */
  static final Path HOME =
      Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();

  /** The committed descriptor set the package builds its message classes from. */
  static final Path DESCRIPTOR_FILE = HOME.resolve("clients/python/piddm/contracts.desc");

  /** The package's own folder, put on PYTHONPATH when the tests run it from the checkout. */
  static final Path PACKAGE_ROOT = HOME.resolve("clients/python");

  private static final List<FileDescriptor> ROOTS =
      List.of(
          TensorProto.getDescriptor(),
          PhysicsProto.getDescriptor(),
          ManifestProto.getDescriptor(),
          RegistryProto.getDescriptor(),
          SamplerProto.getDescriptor(),
          TrainerProto.getDescriptor(),
          GrpcPredictV2.getDescriptor());

  private PythonContracts() {}

  /** Every contract file and its imports, each after what it imports, in a stable order. */
  public static FileDescriptorSet descriptorSet() {
    Map<String, FileDescriptor> ordered = new LinkedHashMap<>();
    ROOTS.forEach(root -> addWithDependencies(root, ordered));
    FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
    ordered.values().forEach(f -> set.addFile(f.toProto()));
    return set.build();
  }

  private static void addWithDependencies(FileDescriptor file, Map<String, FileDescriptor> out) {
    if (out.containsKey(file.getName())) {
      return;
    }
    file.getDependencies().forEach(dependency -> addWithDependencies(dependency, out));
    out.put(file.getName(), file);
  }
}
