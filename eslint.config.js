import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const kafkaClient = { name: '@platformatic/kafka', message: 'Import Kafka through src/kafka/ only.' }
const localKafka = {
  group: ['**/local-kafka', '**/local-kafka/**'],
  message: 'src/local-kafka starts brokers and mirrors for development and tests: only the commands that start them (sluice up, sluice kafka) import it, never a running service.'
}
/** What may import src/local-kafka: itself, and the two commands that start local brokers and mirrors. */
const localKafkaUsers = ['src/local-kafka/**', 'src/cli/kafka.ts', 'src/cli/up.ts']

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'helm/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.name='eval']", message: 'Rules are data: never eval.' },
        { selector: "NewExpression[callee.name='Function']", message: 'Rules are data: never new Function.' }
      ]
    }
  },
  {
    // The Kafka client stays behind src/kafka/ so it can be swapped in one place, and the local
    // brokers and mirrors stay out of every running service.
    files: ['src/**/*.ts'],
    ignores: ['src/kafka/**', ...localKafkaUsers],
    rules: {
      'no-restricted-imports': ['error', { paths: [kafkaClient], patterns: [localKafka] }]
    }
  },
  {
    files: ['src/kafka/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [localKafka] }]
    }
  },
  {
    files: localKafkaUsers,
    rules: {
      'no-restricted-imports': ['error', { paths: [kafkaClient] }]
    }
  },
  {
    // node:test's test()/describe() return promises the runner itself awaits.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] }]
    }
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked
  }
)
