// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// jsdom lacks these browser APIs that Grafana UI's Select menu uses.
class ObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
if (!global.IntersectionObserver) {
  global.IntersectionObserver = ObserverStub;
}
if (!global.ResizeObserver) {
  global.ResizeObserver = ObserverStub;
}
if (!Element.prototype.scrollIntoView) {
  Element.prototype.scrollIntoView = () => {};
}

// i18next (loaded by @grafana/ui) prints an advertisement on init; keep test output readable.
const info = console.info;
console.info = (...args) => {
  if (typeof args[0] === 'string' && args[0].includes('i18next is made possible')) {
    return;
  }
  info(...args);
};
