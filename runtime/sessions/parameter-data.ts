// ORS marks the `<data>` items that HTTP start parameters fill with `_type="parameter"`.
// The interpreter (runtime/scxml) refuses unknown unprefixed attributes on <data>, so the
// adapter takes the marker out before compiling — blanked with spaces, so the line and
// column of every compile error stay true — and remembers the ids it marked.
const dataTag = /<data\b[^>]*>/g;
const typeParameter = /\s_type\s*=\s*(["'])parameter\1/;
const idAttribute = /\sid\s*=\s*(["'])([^"']*)\1/;

export function extractParameterData(source: string): { source: string; parameterIds: string[] } {
  const parameterIds: string[] = [];
  const rewritten = source.replace(dataTag, (tag) => {
    const marker = typeParameter.exec(tag);
    if (!marker) return tag;
    const id = idAttribute.exec(tag)?.[2];
    if (id) parameterIds.push(id);
    return tag.slice(0, marker.index) + ' '.repeat(marker[0].length) + tag.slice(marker.index + marker[0].length);
  });
  return { source: rewritten, parameterIds };
}
