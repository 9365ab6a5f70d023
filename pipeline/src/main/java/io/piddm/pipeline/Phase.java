package io.piddm.pipeline;

/** The phases of a run, in the order they run. */
public enum Phase {
  DATA,
  TEACHER,
  PAIR_BANK,
  STUDENT,
  EVALUATION,
  EXPORT,
  PUBLISH
}
