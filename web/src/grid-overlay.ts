/**
 * The tile grid drawn over the result: an SVG in the image's own pixel coordinates,
 * scaled with the canvas, with strokes that stay one screen pixel wide at any zoom.
 */
const SVG = 'http://www.w3.org/2000/svg';

/** Redraws `svg` as the grid of `tileSize` tiles over a width×height image. */
export function drawTileGrid(svg: SVGSVGElement, width: number, height: number, tileSize: number): void {
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const path = document.createElementNS(SVG, 'path');
  let d = '';
  for (let x = tileSize; x < width; x += tileSize) d += `M${x} 0V${height}`;
  for (let y = tileSize; y < height; y += tileSize) d += `M0 ${y}H${width}`;
  d += `M0 0H${width}V${height}H0Z`;
  path.setAttribute('d', d);
  path.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(path);
}
