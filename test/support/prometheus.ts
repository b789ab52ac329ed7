/** One sample of the Prometheus text exposition format (version 0.0.4). */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromText {
  samples: PromSample[];
  /** # TYPE of each metric family. */
  types: Map<string, string>;
  help: Map<string, string>;
  /** The value of the one sample with exactly these labels, or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of a metric. */
  series(name: string): PromSample[];
}

const UNESCAPE: Record<string, string> = { "\\": "\\", '"': '"', n: "\n" };

/** Parses the text format strictly enough to catch malformed output: a bad line throws. */
export function parsePrometheusText(text: string): PromText {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (meta) (meta[1] === "TYPE" ? types : help).set(meta[2] as string, meta[3] as string);
      continue;
    }
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!head) throw new Error(`not a sample: ${line}`);
    const name = head[1] as string;
    let at = name.length;
    const labels: Record<string, string> = {};
    if (line[at] === "{") {
      at += 1;
      while (line[at] !== "}") {
        const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at));
        if (!label) throw new Error(`bad label in: ${line}`);
        at += label[0].length;
        let value = "";
        while (line[at] !== '"') {
          if (at >= line.length) throw new Error(`unterminated label value in: ${line}`);
          if (line[at] === "\\") {
            const escaped = UNESCAPE[line[at + 1] ?? ""];
            if (escaped === undefined) throw new Error(`bad escape in: ${line}`);
            value += escaped;
            at += 2;
          } else {
            value += line[at];
            at += 1;
          }
        }
        labels[label[1] as string] = value;
        at += 1;
        if (line[at] === ",") at += 1;
      }
      at += 1;
    }
    const rest = line.slice(at).trim().split(/\s+/);
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
    const raw = (rest[0] ?? "").toLowerCase();
    const value = /^[+-]?inf$/.test(raw)
      ? (raw.startsWith("-") ? -1 : 1) * Number.POSITIVE_INFINITY
      : Number(raw);
    if (raw === "" || (Number.isNaN(value) && raw !== "nan")) throw new Error(`bad value in: ${line}`);
    samples.push({ name, labels, value });
  }
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
  return {
    samples,
    types,
    help,
    value: (name, labels = {}) =>
      samples.find((sample) => sample.name === name && same(sample.labels, labels))?.value,
    series: (name) => samples.filter((sample) => sample.name === name),
  };
}

/** GET /metrics, parsed; also how long it took. */
export async function scrape(baseUrl: string): Promise<PromText & { status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  const ms = performance.now() - started;
  if (!(response.headers.get("content-type") ?? "").startsWith("text/plain; version=0.0.4")) {
    throw new Error(`unexpected content type ${response.headers.get("content-type")}`);
  }
  return { ...parsePrometheusText(text), status: response.status, ms };
}
