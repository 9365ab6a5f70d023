package io.piddm.pipeline;

import java.util.Map;

/**
 * Where a run reports what it does. Called on the run's own thread; an implementation may throw
 * {@link RunCancelledException} to stop the run at that point (a step boundary), which leaves the
 * checkpoints in place for a later resume.
 */
public interface RunListener {

  /** A phase starts; {@code skipped} when its output is already there from an earlier attempt. */
  void onPhase(Phase phase, boolean skipped, String message);

  /** Progress within a phase. */
  void onProgress(Progress progress);

  /** One progress report: {@code step} of {@code totalSteps}, losses by name, rate and ETA. */
  record Progress(
      Phase phase,
      long step,
      long totalSteps,
      Map<String, Double> losses,
      double stepsPerSecond,
      double etaSeconds,
      long skippedSteps) {}

  RunListener NONE =
      new RunListener() {
        @Override
        public void onPhase(Phase phase, boolean skipped, String message) {}

        @Override
        public void onProgress(Progress progress) {}
      };
}
