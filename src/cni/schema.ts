/** Config fragments shared by the CNIs. */
import { z } from "zod";

export const cniResources = z
  .strictObject({
    cpu: z.string().regex(/^\d+(\.\d+)?m?$/, { message: "expected a CPU quantity such as 250m or 1" }).optional(),
    memory: z
      .string()
      .regex(/^\d+(Ki|Mi|Gi)?$/, { message: "expected a memory quantity such as 256Mi" })
      .optional(),
  })
  .meta({ description: "Resource requests of the CNI's node agents." });
