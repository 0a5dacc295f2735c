// First: a language tag every library can use (see lib/locale.ts).
import './lib/locale';
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('the page has no #app element');
mount(App, { target });
