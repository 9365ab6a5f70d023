package io.piddm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.piddm.diffusion.model.TrainedModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * data → teacher → distill → eval → export → eval-reconstruct through the command line, on a tiny
 * Darcy problem.
 */
class LocalTrainingCommandsTest {

  @Test
  void aTeacherAndItsStudentAreTrainedAndEvaluatedFromTheCommandLine(@TempDir Path dir)
      throws Exception {
    CommandLine cli = Piddm.commandLine();
    String train = dir.resolve("train").toString();
    String reference = dir.resolve("reference").toString();
    assertThat(
            cli.execute(
                "data",
                "generate",
                "--pde",
                "darcy",
                "--resolution",
                "16",
                "--count",
                "16",
                "--seed",
                "1",
                "--out",
                train,
                "--no-preview"))
        .isZero();
    assertThat(
            cli.execute(
                "data",
                "generate",
                "--pde",
                "darcy",
                "--resolution",
                "16",
                "--count",
                "8",
                "--seed",
                "2",
                "--out",
                reference,
                "--no-preview"))
        .isZero();
    Path teacher = dir.resolve("teacher");
    assertThat(
            cli.execute(
                "teacher",
                "--data",
                train,
                "--preset",
                "tiny",
                "--steps",
                "30",
                "--batch",
                "4",
                "--warmup",
                "5",
                "--checkpoint-every",
                "10",
                "--out",
                teacher.toString()))
        .isZero();
    assertThat(TrainedModel.read(teacher).kind()).isEqualTo(TrainedModel.TEACHER);
    assertThat(TrainedModel.read(teacher).dataset()).containsKey("sha256");

    Path student = dir.resolve("student");
    assertThat(
            cli.execute(
                "distill",
                "--teacher",
                teacher.toString(),
                "--steps",
                "10",
                "--batch",
                "4",
                "--bank",
                "8",
                "--teacher-steps",
                "3",
                "--refresh-every",
                "5",
                "--lambda",
                "0.1",
                "--out",
                student.toString()))
        .isZero();
    TrainedModel studentModel = TrainedModel.read(student);
    assertThat(studentModel.kind()).isEqualTo(TrainedModel.STUDENT);
    assertThat(studentModel.training()).containsKeys("pairGenerationSeconds", "residualScale");

    Path teacherEval = dir.resolve("eval-teacher");
    assertThat(
            cli.execute(
                "eval",
                "--model",
                teacher.toString(),
                "--reference",
                reference,
                "--samples",
                "4",
                "--heun-steps",
                "3",
                "--tasks",
                "1",
                "--guided-steps",
                "3",
                "--out",
                teacherEval.toString()))
        .isZero();
    JsonObject report =
        JsonParser.parseString(
                Files.readString(teacherEval.resolve("evaluation.json"), StandardCharsets.UTF_8))
            .getAsJsonObject();
    assertThat(report.getAsJsonArray("samples")).hasSize(2);
    // forward+bc (u), inverse (a), sparse points (a and u)
    assertThat(report.getAsJsonArray("tasks")).hasSize(4);
    assertThat(
            report
                .getAsJsonArray("tasks")
                .get(1)
                .getAsJsonObject()
                .get("errorRateMean")
                .getAsDouble())
        .isBetween(0.0, 1.0);
    assertThat(teacherEval.resolve("teacher-heun3.png")).isRegularFile();
    assertThat(teacherEval.resolve("teacher-guided-inverse.png")).isRegularFile();
    assertThat(teacherEval.resolve("teacher-guided-sparse.png")).isRegularFile();

    Path studentEval = dir.resolve("eval-student");
    assertThat(
            cli.execute(
                "eval",
                "--model",
                student.toString(),
                "--reference",
                reference,
                "--samples",
                "4",
                "--out",
                studentEval.toString()))
        .isZero();
    assertThat(studentEval.resolve("piddm-1.json")).isRegularFile();

    Path onnx = dir.resolve("onnx");
    var out = new java.io.StringWriter();
    cli.setOut(new java.io.PrintWriter(out));
    assertThat(cli.execute("export", "--model", student.toString(), "--out", onnx.toString()))
        .isZero();
    assertThat(onnx.resolve("model.onnx")).isRegularFile();
    assertThat(onnx.resolve("reconstruct.onnx")).isRegularFile();
    try (var opened =
        io.piddm.inference.StudentModel.open(
            onnx, io.piddm.inference.OnnxSessions.Provider.CPU, 1)) {
      // the version the code that exported it carries, not a placeholder
      assertThat(opened.metadata().version())
          .isEqualTo(io.piddm.pipeline.CodeVersion.current())
          .isNotEqualTo("0.0.0-dev");
    }
    Path reconstructions = dir.resolve("eval-reconstruct");
    assertThat(
            cli.execute(
                "eval-reconstruct",
                "--model",
                onnx.toString(),
                "--reference",
                reference,
                "--tasks",
                "2",
                "--steps",
                "10",
                "--every",
                "5",
                "--out",
                reconstructions.toString()))
        .isZero();
    assertThat(Files.readString(reconstructions.resolve("reconstruction.json")))
        .contains("\"forward+bc\"", "\"inverse\"", "\"sparse\"", "relativeL2ByStep");
    assertThat(
            cli.execute(
                "export", "--model", teacher.toString(), "--out", dir.resolve("x").toString()))
        .isNotZero();
  }

  @Test
  void aMissingModelIsAClearErrorWithANonZeroExit(@TempDir Path dir) {
    CommandLine cli = Piddm.commandLine();
    var err = new java.io.StringWriter();
    cli.setErr(new java.io.PrintWriter(err));
    int exit =
        cli.execute(
            "eval",
            "--model",
            dir.resolve("nothing").toString(),
            "--reference",
            dir.toString(),
            "--out",
            dir.resolve("o").toString());
    assertThat(exit).isNotZero();
    assertThat(err.toString()).contains("no trained model");
  }
}
