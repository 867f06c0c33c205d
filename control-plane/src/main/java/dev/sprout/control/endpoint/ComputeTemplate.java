package dev.sprout.control.endpoint;

import dev.sprout.compute.ComputeSpec;
import dev.sprout.storage.timeline.TimelineId;

/**
 * How to run a branch's compute: the spec for a branch name on a timeline (where its files live, its port, the
 * pageserver's address, the password). The process that embeds the control plane supplies it.
 */
@FunctionalInterface
public interface ComputeTemplate {
    ComputeSpec spec(String branch, TimelineId timeline);
}
