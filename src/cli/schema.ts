import { Command } from 'commander';
import { scenarioJsonSchema, SCENARIO_JSON_SCHEMA_PATH } from '../scenario/json-schema.js';
import { examples } from './help.js';

export const schemaCommand = new Command('schema')
  .description(
    `print the JSON Schema of scenario files (shipped as ${SCENARIO_JSON_SCHEMA_PATH}), for editors and validators`,
  )
  .addHelpText('after', examples(
    ['lab schema > scenario.schema.json', 'save it next to your scenarios'],
    ['lab show rr-basic > my-lab.yaml', 'a scenario to edit; its first line points editors at the schema'],
  ))
  .addHelpText(
    'after',
    '\nVS Code and other editors with the YAML language server read a first line\n' +
      '  # yaml-language-server: $schema=PATH\nand then complete and check every field, with its meaning.',
  )
  .action(() => {
    process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });
