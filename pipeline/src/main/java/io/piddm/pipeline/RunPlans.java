package io.piddm.pipeline;

import io.piddm.diffusion.train.TrainSettings;
import java.util.LinkedHashMap;
import java.util.Map;

/** Views of a {@link RunPlan} for lineage and reports. */
public final class RunPlans {

  private RunPlans() {}

  /** Every setting that shapes the model, flattened to {@code section.name → text}. */
  public static Map<String, String> hyperparameters(RunPlan plan) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("profile", plan.profile());
    h.put("pde", plan.pde().id());
    h.put("resolution", Integer.toString(plan.resolution()));
    h.put("dataset.count", Integer.toString(plan.dataset().count()));
    h.put("dataset.seed", Long.toString(plan.dataset().seed()));
    h.put("dataset.held_out_count", Integer.toString(plan.dataset().heldOutCount()));
    h.put("dataset.held_out_seed", Long.toString(plan.dataset().heldOutSeed()));
    h.put("teacher.preset", plan.teacher().preset());
    h.put("teacher.sampler_steps", Integer.toString(plan.teacher().samplerSteps()));
    training(h, "teacher.", plan.teacher().training());
    h.put("pair_bank.size", Integer.toString(plan.distill().bankSize()));
    h.put("pair_bank.teacher_steps", Integer.toString(plan.distill().teacherSteps()));
    h.put("pair_bank.refresh_every", Long.toString(plan.distill().refreshEvery()));
    h.put("pair_bank.refresh_fraction", Double.toString(plan.distill().refreshFraction()));
    h.put("student.lambda_train", Double.toString(plan.distill().lambdaTrain()));
    h.put("student.residual_warmup_steps", Long.toString(plan.distill().residualWarmupSteps()));
    h.put("student.residual_ramp_steps", Long.toString(plan.distill().residualRampSteps()));
    h.put(
        "student.residual_solution_only",
        Boolean.toString(plan.distill().residualShapesSolutionOnly()));
    h.put(
        "student.residual_coefficient_gradient",
        Double.toString(plan.distill().coefficientGradient()));
    h.put("student.solution_weight", Double.toString(plan.distill().solutionWeight()));
    h.put("student.pseudo_huber_scale", Double.toString(plan.distill().pseudoHuberScale()));
    h.put("student.solved_targets", Boolean.toString(plan.distill().solvedTargets()));
    h.put("student.marginal_weight", Double.toString(plan.distill().marginalWeight()));
    training(h, "student.", plan.student());
    h.put("evaluation.samples", Integer.toString(plan.evaluation().samples()));
    h.put("evaluation.seeds", plan.evaluation().seeds().toString());
    return h;
  }

  private static void training(Map<String, String> h, String prefix, TrainSettings s) {
    s.describe().forEach((k, v) -> h.put(prefix + k, String.valueOf(v)));
  }
}
