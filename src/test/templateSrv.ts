import { ScopedVars } from '@grafana/data';

/**
 * A small stand-in for Grafana's TemplateSrv: `$name` and `${name}` are replaced from scopedVars first, then
 * from the dashboard variables given here; a format function receives the raw value (an array for a
 * multi-value variable), like the real one.
 */
export function fakeTemplateSrv(variables: Record<string, string | string[]>) {
  const lookup = (name: string, scopedVars?: ScopedVars): string | string[] | undefined => {
    const scoped = scopedVars?.[name];
    if (scoped) {
      return scoped.value as string | string[];
    }
    return variables[name];
  };
  return {
    getVariables: () => Object.keys(variables).map((name) => ({ name, type: 'custom', label: name })),
    containsTemplate: (target?: string) => !!target && /\$(\w+)|\$\{(\w+)\}/.test(target),
    updateTimeRange: () => undefined,
    replace: (target?: string, scopedVars?: ScopedVars, format?: string | Function): string => {
      if (target === undefined || target === null) {
        return '';
      }
      return target.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (match: string, braced?: string, plain?: string) => {
        const name = (braced ?? plain) as string;
        const value = lookup(name, scopedVars);
        if (value === undefined) {
          return match;
        }
        if (typeof format === 'function') {
          return format(value);
        }
        if (Array.isArray(value)) {
          return format === 'csv' ? value.join(',') : `{${value.join(',')}}`;
        }
        return value;
      });
    },
  };
}
