/**
 * Chart renders started while the program runs (`npm run plan`): the plan is otherwise one thread, and helm, a
 * separate process, takes the machine's other core. What is rendered is exactly what planCharts renders afterwards
 * (it finds these renders in renderChart's cache); anything that goes wrong here is left for planCharts to report.
 */
import type { RecordedResource, StackFile } from "../engine";
import { findHelm } from "./helm";
import { chartSpecOf, prerenderChart } from "./render";
import { siteConfigOf } from "./site";
import { CHART_TYPE } from "../../src/type-tokens";

export interface ChartPrerender {
  /** For runProgram's onResource: starts the render of each Chart as it is registered. */
  readonly onResource: (resource: RecordedResource) => void;
  /** Resolves when every render started is done (or failed); never rejects. */
  readonly settled: () => Promise<void>;
}

export function chartPrerender(stackFile: StackFile): ChartPrerender {
  const started: Promise<unknown>[] = [];
  let kubeVersion: string | undefined;
  return {
    onResource: (resource) => {
      if (resource.type !== CHART_TYPE) return;
      started.push(
        (async () => {
          const found = findHelm();
          if (!("helm" in found)) return;
          kubeVersion ??= siteConfigOf(stackFile).k3s.version;
          await prerenderChart(found.helm, chartSpecOf(resource), kubeVersion);
        })().catch(() => undefined),
      );
    },
    settled: async () => {
      await Promise.all(started);
    },
  };
}
