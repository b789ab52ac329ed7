/**
 * Amazon EKS Kubernetes versions with the day their standard support ends and the day their
 * extended support ends (UTC). Source: the EKS user guide's release calendar ("Understand the
 * Kubernetes version lifecycle on EKS"), checked 2026-11. Standard support lasts 14 months from
 * release, extended support 12 more. Add a row when EKS announces a version.
 */
export const EKS_CALENDAR: Readonly<
  Record<string, { endOfStandardSupport: string; endOfExtendedSupport: string }>
> = {
  "1.23": { endOfStandardSupport: "2023-10-11", endOfExtendedSupport: "2024-10-11" },
  "1.24": { endOfStandardSupport: "2024-01-31", endOfExtendedSupport: "2025-01-31" },
  "1.25": { endOfStandardSupport: "2024-05-01", endOfExtendedSupport: "2025-05-01" },
  "1.26": { endOfStandardSupport: "2024-06-11", endOfExtendedSupport: "2025-06-11" },
  "1.27": { endOfStandardSupport: "2024-07-24", endOfExtendedSupport: "2025-07-24" },
  "1.28": { endOfStandardSupport: "2024-11-26", endOfExtendedSupport: "2025-11-26" },
  "1.29": { endOfStandardSupport: "2025-03-23", endOfExtendedSupport: "2026-03-23" },
  "1.30": { endOfStandardSupport: "2025-07-23", endOfExtendedSupport: "2026-07-23" },
  "1.31": { endOfStandardSupport: "2025-11-26", endOfExtendedSupport: "2026-11-26" },
  "1.32": { endOfStandardSupport: "2026-03-23", endOfExtendedSupport: "2027-03-23" },
  "1.33": { endOfStandardSupport: "2026-07-29", endOfExtendedSupport: "2027-07-29" },
  "1.34": { endOfStandardSupport: "2026-12-02", endOfExtendedSupport: "2027-12-02" },
  "1.35": { endOfStandardSupport: "2027-03-27", endOfExtendedSupport: "2028-03-27" },
};

/**
 * The Kubernetes version of an EKS cluster from a resource's details: ASFF puts it in
 * `AwsEksCluster.Version`, OCSF in `version` of the resource data.
 */
export function eksVersionOf(details: Record<string, unknown> | null): string | null {
  if (!details) return null;
  const cluster = details.AwsEksCluster;
  const candidates = [
    cluster && typeof cluster === "object" ? (cluster as Record<string, unknown>).Version : undefined,
    details.version,
    details.Version,
  ];
  for (const candidate of candidates) {
    if (typeof candidate === "string" && /^\d+\.\d+/.test(candidate)) {
      const [major, minor] = candidate.split(".");
      return `${major}.${minor}`;
    }
  }
  return null;
}
