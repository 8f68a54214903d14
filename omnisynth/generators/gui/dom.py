"""The scripts that read a page's ground truth in the page itself (run by `browser.Tab`).

`EXTRACT_JS` returns every visible interactive element (role, accessible name, state, box in
screenshot pixels, clipped, hit-tested for a click point and occlusion) and the `data-fact`
facts; `HIT_JS` says which marked element is topmost at given pixel points.
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
  const nameOf = el => {
    const by = el.getAttribute('aria-labelledby');
    if (by) {
      const t = by.split(/\s+/).map(id => document.getElementById(id)).filter(Boolean).map(textOf).join(' ');
      if (clean(t)) return clean(t);
    }
    if (clean(el.getAttribute('aria-label'))) return clean(el.getAttribute('aria-label'));
    const tag = el.tagName.toLowerCase();
    if (['input', 'select', 'textarea'].includes(tag)) {
      if (el.labels && el.labels.length) return clean(Array.from(el.labels).map(textOf).join(' '));
      const type = (el.getAttribute('type') || '').toLowerCase();
      if (['button', 'submit', 'reset'].includes(type) && el.value) return clean(el.value);
      if (el.getAttribute('placeholder')) return clean(el.getAttribute('placeholder'));
      if (el.getAttribute('title')) return clean(el.getAttribute('title'));
      return '';
    }
    const t = textOf(el);
    if (t) return t;
    const img = el.querySelector('img[alt]');
    if (img && clean(img.alt)) return clean(img.alt);
    const svgTitle = el.querySelector('svg title');
    if (svgTitle && clean(svgTitle.textContent)) return clean(svgTitle.textContent);
    return clean(el.getAttribute('title'));
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
  // the element's painted box: its own rect joined with its children's (an inline link's icon can stick
  // out of the line box), unless the element clips its overflow
  const outer = el => {
    const r = el.getBoundingClientRect();
    let x0 = r.left, y0 = r.top, x1 = r.right, y1 = r.bottom;
    const s = getComputedStyle(el);
    if (s.overflowX === 'visible' && s.overflowY === 'visible') {
      const kids = el.getElementsByTagName('*');
      for (let k = 0; k < kids.length && k < 64; k++) {
        const c = kids[k].getBoundingClientRect();
        if (c.width > 0 && c.height > 0) {
          x0 = Math.min(x0, c.left); y0 = Math.min(y0, c.top); x1 = Math.max(x1, c.right); y1 = Math.max(y1, c.bottom);
        }
      }
    }
    return {left: x0, top: y0, right: x1, bottom: y1, width: x1 - x0, height: y1 - y0};
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
  const clipped = el => {
    const r = outer(el), c = clipOf(el.parentElement);
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
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return;
    const [x0, y0, x1, y1, r] = clipped(el);
    const offscreen = r.right <= 0 || r.bottom <= 0 || r.left >= vw || r.top >= vh;
    if (r.width < 1 || r.height < 1) return;
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
      name: nameOf(el), text: textOf(el), value: valueOf(el), checked: checkedOf(el),
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
