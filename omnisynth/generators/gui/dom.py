"""The scripts that read a page's ground truth in the page itself (run by `browser.Tab`).

`EXTRACT_JS` returns every visible interactive element (role, accessible name, state, box in
screenshot pixels, clipped, hit-tested for a click point and occlusion) and the `data-fact`
facts; `HIT_JS` says which marked element is topmost at given pixel points. Boxes, names and
texts come from what the element paints: a tooltip hidden inside a button (visibility, opacity,
display, clip, off screen) neither widens its box nor joins its name.
"""

# Interactive elements, their role, accessible name, state and box in screenshot pixels,
# with visibility, clipping and occlusion decided by the live page (elementFromPoint).
EXTRACT_JS = r"""
() => {
  const SEL = 'a[href],button,input:not([type=hidden]),select,textarea,summary,[contenteditable=""],' +
    '[contenteditable=true],[onclick],[tabindex]:not([tabindex="-1"]),[role=button],[role=link],[role=checkbox],' +
    '[role=radio],[role=tab],[role=menuitem],[role=menuitemcheckbox],[role=menuitemradio],[role=option],' +
    '[role=switch],[role=slider],[role=gridcell],[role=combobox],[role=textbox],[role=treeitem],[role=spinbutton],[role=searchbox]';
  const dpr = window.devicePixelRatio, vw = window.innerWidth, vh = window.innerHeight;
  const clean = s => (s || '').replace(/\s+/g, ' ').trim().slice(0, 200);
  const interactive = el => el && el.matches && el.matches(SEL);
  const implicitRole = el => {
    const tag = el.tagName.toLowerCase(), type = (el.getAttribute('type') || 'text').toLowerCase();
    if (tag === 'a') return 'link';
    if (tag === 'button' || tag === 'summary') return 'button';
    if (tag === 'select') return (el.multiple || el.size > 1) ? 'listbox' : 'combobox';
    if (tag === 'textarea') return 'textbox';
    if (tag === 'input') {
      if (type === 'checkbox') return 'checkbox';
      if (type === 'radio') return 'radio';
      if (type === 'range') return 'slider';
      if (type === 'number') return 'spinbutton';
      if (type === 'search') return 'searchbox';
      if (['button', 'submit', 'reset', 'image', 'file', 'color'].includes(type)) return 'button';
      return 'textbox';
    }
    if (el.isContentEditable) return 'textbox';
    return 'generic';
  };
  const textOf = el => clean(el.innerText || el.textContent);
  // a label's painted text; one that paints none (a visually hidden label) names like aria-label does
  const labelOf = el => paintedText(el) || textOf(el);
  // the accessible name, from what the control paints: its painted text, never a hidden tooltip's; the text it
  // hides from the eye but not from the accessibility tree (.sr-only, opacity:0) only names a control that
  // paints no text, as aria-label and title do
  const nameOf = (el, shown) => {
    const by = el.getAttribute('aria-labelledby');
    if (by) {
      const t = by.split(/\s+/).map(id => document.getElementById(id)).filter(Boolean).map(labelOf).join(' ');
      if (clean(t)) return clean(t);
    }
    if (clean(el.getAttribute('aria-label'))) return clean(el.getAttribute('aria-label'));
    const tag = el.tagName.toLowerCase();
    if (['input', 'select', 'textarea'].includes(tag)) {
      if (el.labels && el.labels.length) return clean(Array.from(el.labels).map(labelOf).join(' '));
      const type = (el.getAttribute('type') || '').toLowerCase();
      if (['button', 'submit', 'reset'].includes(type) && el.value) return clean(el.value);
      if (el.getAttribute('placeholder')) return clean(el.getAttribute('placeholder'));
      if (el.getAttribute('title')) return clean(el.getAttribute('title'));
      return '';
    }
    if (shown) return shown;
    const img = el.querySelector('img[alt]');
    if (img && clean(img.alt)) return clean(img.alt);
    const svgTitle = el.querySelector('svg title');
    if (svgTitle && clean(svgTitle.textContent)) return clean(svgTitle.textContent);
    return clean(el.innerText) || clean(el.getAttribute('title'));
  };
  const valueOf = el => {
    const tag = el.tagName.toLowerCase();
    if (tag === 'select') return clean(Array.from(el.selectedOptions).map(o => o.text).join(', '));
    if (tag === 'textarea') return el.value;
    if (tag === 'input' && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes((el.type || '')))
      return el.value;
    if (el.isContentEditable) return clean(el.innerText);
    return '';
  };
  const checkedOf = el => {
    if (el.tagName === 'INPUT' && ['checkbox', 'radio'].includes(el.type)) return el.checked ? 'true' : 'false';
    return el.getAttribute('aria-checked') || el.getAttribute('aria-pressed') || '';
  };
  // What an element paints: the union of its painted parts, never what is there but unseen. A part is the
  // element's own border box, a descendant's border box or a text run, each cut to the clips that hold it
  // inside the element (clip and clip-path of every ancestor; overflow of the ancestors in its containing-block
  // chain: an absolutely positioned tooltip escapes a static parent's overflow); a part paints nothing when it
  // is display:none, visibility:hidden, opacity:0 (its own or an ancestor's), cut to nothing (the .sr-only 1x1
  // clip), of no size, off the page, or wholly off the screen while the element itself is on it.
  const CAP = 256;  // descendants and text runs read per element
  const INF = [-Infinity, -Infinity, Infinity, Infinity];
  const cut = (a, b) => [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
  const quad = r => [r.left, r.top, r.right, r.bottom];
  const memo = (f, m = new Map()) => e => { if (!m.has(e)) m.set(e, f(e)); return m.get(e); };
  const css = memo(e => getComputedStyle(e)), rectOf = memo(e => quad(e.getBoundingClientRect()));
  const len = (v, size) => (v.endsWith('%') ? parseFloat(v) / 100 * size : parseFloat(v)) || 0;
  // what `clip` (absolutely positioned) and `clip-path` let paint: inset() and polygon() exactly, a circle or
  // ellipse of radius 0 as nothing, other shapes as the whole box
  const shape = memo(e => {
    const s = css(e), [l, t, r, b] = rectOf(e), w = r - l, h = b - t;
    let c = INF;
    if ((s.position === 'absolute' || s.position === 'fixed') && s.clip.startsWith('rect(')) {
      const v = s.clip.slice(5, -1).split(/[\s,]+/), at = (x, d) => x === 'auto' ? d : parseFloat(x);
      c = [l + at(v[3], 0), t + at(v[0], 0), l + at(v[1], w), t + at(v[2], h)];
    }
    const p = s.clipPath || 'none', arg = p.slice(p.indexOf('(') + 1, p.lastIndexOf(')'));
    if (p.startsWith('inset(')) {
      const v = arg.split(/\s+round\s+/)[0].trim().split(/\s+/);
      const [it, ir, ib, il] = [v[0], v[1] ?? v[0], v[2] ?? v[0], v[3] ?? v[1] ?? v[0]];
      c = cut(c, [l + len(il, w), t + len(it, h), r - len(ir, w), b - len(ib, h)]);
    } else if (p.startsWith('polygon(')) {
      const pts = arg.replace(/^\s*(nonzero|evenodd)\s*,/, '').split(',').map(q => q.trim().split(/\s+/));
      const xs = pts.map(q => l + len(q[0], w)), ys = pts.map(q => t + len(q[1] || '0', h));
      c = cut(c, [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
    } else if (/^(circle|ellipse)\(0(px|%)?[\s)]/.test(p)) c = [0, 0, 0, 0];
    return c;
  });
  const overflowCut = (e, c) => {  // c cut by e's overflow clip (inline boxes clip nothing)
    const s = css(e), x = s.overflowX !== 'visible', y = s.overflowY !== 'visible', [l, t, r, b] = rectOf(e);
    if (s.display === 'inline' || !(x || y)) return c;
    return cut(c, [x ? l : -Infinity, y ? t : -Infinity, x ? r : Infinity, y ? b : Infinity]);
  };
  const holdsPositioned = s => s.transform !== 'none' || s.perspective !== 'none' || s.filter !== 'none' ||
    /paint|layout|strict|content/.test(s.contain || '');
  // where the painting of d may show inside top (d itself or one of its descendants)
  const region = (d, top) => {
    let c = shape(d), mode = css(d).position;
    for (let a = d.parentElement; a && d !== top; a = a.parentElement) {
      const s = css(a);
      c = cut(c, shape(a));
      const holds = mode === 'absolute' ? s.position !== 'static' || holdsPositioned(s)
        : mode === 'fixed' ? holdsPositioned(s) : true;
      if (holds) { c = overflowCut(a, c); mode = s.position; }
      if (a === top) break;
    }
    return c;
  };
  const onView = q => q[2] > 0 && q[3] > 0 && q[0] < vw && q[1] < vh;
  const shows = (el, q, min = 0) => q[2] - q[0] > min && q[3] - q[1] > min && q[2] + window.scrollX > 0 &&
    q[3] + window.scrollY > 0 && (onView(q) || !onView(rectOf(el)));
  const painted = e => e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  // whether innerText reads the text right inside p (its parent element), and whether that text paints (a
  // display:contents parent has no box of its own: its nearest ancestor with one decides)
  const boxed = p => { while (p && css(p).display === 'contents') p = p.parentElement; return p; };
  const reads = p => p === boxed(p) ? p.checkVisibility({checkVisibilityCSS: true})
    : css(p).visibility === 'visible' && (!boxed(p) || boxed(p).checkVisibility());
  const paints = p => reads(p) && (!boxed(p) || boxed(p).checkVisibility({checkOpacity: true}));
  const paintedBox = el => {
    let box = null;
    const add = q => { box = box ? [Math.min(box[0], q[0]), Math.min(box[1], q[1]), Math.max(box[2], q[2]),
                                    Math.max(box[3], q[3])] : q; };
    const own = cut(rectOf(el), shape(el));
    if (shows(el, own)) add(own);
    const kids = el.getElementsByTagName('*');
    for (let k = 0; k < kids.length && k < CAP; k++) {
      const q = painted(kids[k]) ? cut(rectOf(kids[k]), region(kids[k], el)) : null;
      if (q && shows(el, q)) add(q);
    }
    return box;
  };
  // the text it paints: innerText, less the runs innerText reads that paint nothing (a run clipped to a pixel
  // or less is not read either)
  const range = document.createRange();
  const paintedText = el => {
    if (el.tagName === 'SELECT' || el.tagName === 'TEXTAREA') return textOf(el);
    const gone = new Set(), walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let t, n = 0, seen = 0; n < CAP && seen < 8 * CAP && (t = walk.nextNode()); seen++) {
      const p = t.parentElement;
      if (!t.data.trim() || !p || !reads(p)) continue;  // innerText skips it
      n += 1;
      range.selectNodeContents(t);
      if (paints(p) && shows(el, cut(quad(range.getBoundingClientRect()), overflowCut(p, region(p, el))), 1)) continue;
      for (let e = t; e && e !== el; e = e.parentNode) gone.add(e);
      gone.add(el);
    }
    return clean(gone.size ? runs(el, gone) : el.innerText);
  };
  const cased = (t, how) => how === 'uppercase' ? t.toUpperCase() : how === 'lowercase' ? t.toLowerCase()
    : how === 'capitalize' ? t.replace(/(^|\s)(\S)/g, (m, a, b) => a + b.toUpperCase()) : t;
  const runs = (node, gone) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const p = node.parentElement;
      return gone.has(node) || !reads(p) ? '' : cased(node.data, css(p).textTransform);
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return '';
    if (node.tagName === 'BR') return '\n';
    const d = css(node).display;
    if (!gone.has(node) && d !== 'contents') return node.getClientRects().length ? node.innerText || '' : '';
    const t = Array.from(node.childNodes).map(c => runs(c, gone)).join('');
    return d === 'table-cell' ? t + '\t' : /^(inline|contents|ruby)/.test(d) ? t : '\n' + t + '\n';
  };
  // the element's box clipped by the viewport and by every ancestor that clips overflow
  const clips = new Map();  // ancestor -> the box its overflow clipping (and its ancestors') leaves visible
  const clipOf = a => {
    if (!a || a === document.documentElement) return [-Infinity, -Infinity, Infinity, Infinity];
    if (clips.has(a)) return clips.get(a);
    const [p0, q0, p1, q1] = clipOf(a.parentElement);
    let c = [p0, q0, p1, q1];
    const s = getComputedStyle(a);
    if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
      const r = a.getBoundingClientRect();
      if (s.overflowX !== 'visible') { c[0] = Math.max(c[0], r.left); c[2] = Math.min(c[2], r.right); }
      if (s.overflowY !== 'visible') { c[1] = Math.max(c[1], r.top); c[3] = Math.min(c[3], r.bottom); }
    }
    clips.set(a, c);
    return c;
  };
  const clipped = (el, b) => {
    const r = {left: b[0], top: b[1], right: b[2], bottom: b[3], width: b[2] - b[0], height: b[3] - b[1]};
    const c = clipOf(el.parentElement);
    return [Math.max(0, r.left, c[0]), Math.max(0, r.top, c[1]), Math.min(vw, r.right, c[2]), Math.min(vh, r.bottom, c[3]), r];
  };
  const owner = hit => {
    for (let e = hit; e; e = e.parentElement) if (interactive(e)) return e;
    return null;
  };
  const out = [];
  const els = Array.from(document.querySelectorAll(SEL));
  els.forEach((el, i) => { if (!el.hasAttribute('data-oid')) el.setAttribute('data-oid', 'x' + i); });
  els.forEach((el, i) => {
    if (!painted(el)) return;
    const box = paintedBox(el);
    if (!box) return;
    const [x0, y0, x1, y1, r] = clipped(el, box);
    const offscreen = r.right <= 0 || r.bottom <= 0 || r.left >= vw || r.top >= vh;
    if (r.width < 1 || r.height < 1) return;
    const text = paintedText(el);
    let hits = 0, tried = 0, click = null;
    if (x1 - x0 >= 1 && y1 - y0 >= 1) {
      const pts = [[0.5, 0.5], [0.25, 0.5], [0.75, 0.5], [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75],
                   [0.1, 0.5], [0.9, 0.5]].map(([fx, fy]) => [x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)]);
      for (const [x, y] of pts) {
        tried += 1;
        if (owner(document.elementFromPoint(x, y)) === el) { hits += 1; if (!click) click = [x, y]; }
      }
    }
    out.push({
      i, oid: el.getAttribute('data-oid'), tag: el.tagName.toLowerCase(),
      role: (el.getAttribute('role') || '').split(/\s+/)[0] || implicitRole(el),
      name: nameOf(el, text), text, value: valueOf(el), checked: checkedOf(el),
      selected: el.getAttribute('aria-selected') || '', expanded: el.getAttribute('aria-expanded') || '',
      disabled: !!(el.disabled || el.getAttribute('aria-disabled') === 'true'),
      icon: el.getAttribute('data-icon') || '', func: el.getAttribute('data-function') || '',
      box: [r.left * dpr, r.top * dpr, r.right * dpr, r.bottom * dpr],
      visible_box: [x0 * dpr, y0 * dpr, x1 * dpr, y1 * dpr],
      click: click ? [click[0] * dpr, click[1] * dpr] : null, visible_fraction: tried ? hits / tried : 0,
      offscreen, occluded: !offscreen && hits === 0,
    });
  });
  const facts = Array.from(document.querySelectorAll('[data-fact]')).map(el => {
    const r = el.getBoundingClientRect();
    return {kind: el.getAttribute('data-fact'), text: clean(el.innerText), oid: el.getAttribute('data-oid') || '',
            attrs: JSON.parse(el.getAttribute('data-attrs') || '{}'),
            box: [r.left * dpr, r.top * dpr, r.right * dpr, r.bottom * dpr]};
  });
  return {dpr, viewport: [vw, vh], scroll: [window.scrollX, window.scrollY],
          doc_size: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
          text: (document.body ? document.body.innerText : '').trim().length, elements: out, facts,
          body_text: document.body ? document.body.innerText : '',
          focused: (document.activeElement && document.activeElement.getAttribute('data-oid')) || ''};
}
"""

# Which element (by extraction index of the last `extract`) is topmost at each point, in pixels.
HIT_JS = r"""
(points) => {
  const dpr = window.devicePixelRatio;
  return points.map(([x, y]) => {
    let e = document.elementFromPoint(x / dpr, y / dpr);
    while (e && !e.hasAttribute('data-oid')) e = e.parentElement;
    return e ? e.getAttribute('data-oid') : null;
  });
}
"""
