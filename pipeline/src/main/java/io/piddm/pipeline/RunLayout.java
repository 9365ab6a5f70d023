package io.piddm.pipeline;

import java.nio.file.Path;

/** Where a run keeps each phase's result inside its folder. */
public record RunLayout(Path dir) {

  public Path trainingData() {
    return dir.resolve("data").resolve("train");
  }

  public Path heldOutData() {
    return dir.resolve("data").resolve("held-out");
  }

  public Path teacherDir() {
    return dir.resolve("teacher");
  }

  public Path studentDir() {
    return dir.resolve("student");
  }

  public Path evaluationDir() {
    return dir.resolve("evaluation");
  }

  public Path exportDir() {
    return dir.resolve("onnx");
  }
}
