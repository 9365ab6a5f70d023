package io.piddm.pipeline;

/** Thrown by a {@link RunListener} to stop a run at a step boundary. */
public final class RunCancelledException extends RuntimeException {
  public RunCancelledException(String reason) {
    super(reason);
  }
}
