package io.piddm.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.piddm.pipeline.Profiles;
import io.piddm.pipeline.RunPlan;
import io.piddm.proto.v1.RunSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A spec that names only a profile gets every setting of that profile, schedules included. */
class RunSpecsTest {

  @ParameterizedTest
  @ValueSource(strings = {"quick", "standard", "paper"})
  void aBareSpecKeepsTheProfilesSchedules(String profile) {
    RunSpec spec =
        RunSpec.newBuilder().setPde(io.piddm.proto.v1.Pde.PDE_DARCY).setProfile(profile).build();
    RunPlan plan = RunSpecs.plan(spec, 2);
    RunPlan defaults =
        Profiles.defaults(profile, io.piddm.physics.pde.Pde.DARCY, plan.resolution());
    assertThat(plan.distill()).isEqualTo(defaults.distill());
    assertThat(plan.student().withCheckpointDirectory(null))
        .isEqualTo(defaults.student().withSeed(plan.student().seed()));
    assertThat(plan.teacher().training().finalLearningRateFraction())
        .isEqualTo(defaults.teacher().training().finalLearningRateFraction());
  }
}
